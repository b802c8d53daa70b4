import * as z from 'zod';
import { cachedOnce } from '../../shared/cache.ts';
import { config, serviceConfig } from '../../shared/config.ts';
import { mongoFor } from '../../shared/db/mongo.ts';
import '../../shared/events/index.ts';
import { countMetric, logger } from '../../shared/observability.ts';
import type { DeliveryOutcome, NotificationsDeps } from './domain/notifications.ts';
import { type Clock, type EmailProvider, type SmsProvider, systemClock } from './domain/ports.ts';
import { SESv2Client, SesEmailProvider, SNSClient, SnsSmsProvider } from './providers/aws.ts';
import { RecordedMessages } from './providers/recording.ts';
import { MongoContactStore, MongoNotificationHistory } from './store/notifications-mongo.ts';

const NotificationsEnv = z.object({
  /** `recording` (default) keeps every message in the store (offline: /_local/mail); `aws` sends through SES and SNS (CDK sets it with -c messaging=aws). */
  MESSAGING_PROVIDER: z.enum(['recording', 'aws']).default('recording'),
  MESSAGING_EMAIL_FROM: z.string().min(3).default('Shop <no-reply@shop.local>'),
  MESSAGING_SES_CONFIGURATION_SET: z.string().min(1).optional(),
  MESSAGING_SMS_SENDER_ID: z.string().min(1).max(11).optional(),
  /** A claim's lease: longer than the consumer's timeout (30 s), shorter than the queue's visibility timeout (180 s). */
  NOTIFICATIONS_CLAIM_LEASE_SECONDS: z.coerce.number().int().positive().default(60),
  /** Records of one batch handled at once (measured in bench/README.md: FerretDB's single SQLite writer prefers 1). */
  NOTIFICATIONS_RECORDS_AT_ONCE: z.coerce.number().int().min(1).max(10).default(1),
  SES_ENDPOINT: z.string().url().optional(),
  SNS_ENDPOINT: z.string().url().optional(),
});

export interface NotificationsService {
  deps: NotificationsDeps;
  contacts: MongoContactStore;
  history: MongoNotificationHistory;
  /** The recording provider's messages (when it is the provider). */
  recorded: RecordedMessages;
}

function observe(outcome: DeliveryOutcome): void {
  if (outcome.result === 'unconfirmed') {
    logger.error('notification left unconfirmed: a delivery stopped mid-send and the provider cannot be asked', {
      ...outcome,
    });
    countMetric('notifications', 'NotificationsUnconfirmed');
    return;
  }
  logger.info('notification delivered', { ...outcome });
  countMetric('notifications', outcome.result === 'duplicate' ? 'NotificationsDuplicate' : 'NotificationsSent');
}

function awsProviders(settings: z.infer<typeof NotificationsEnv>): { email: EmailProvider; sms: SmsProvider } {
  const region = config().AWS_REGION;
  const timeouts = { requestTimeout: 5_000, connectionTimeout: 1_000 };
  const ses = new SESv2Client({ region, endpoint: settings.SES_ENDPOINT, maxAttempts: 2, requestHandler: timeouts });
  const sns = new SNSClient({ region, endpoint: settings.SNS_ENDPOINT, maxAttempts: 2, requestHandler: timeouts });
  return {
    email: new SesEmailProvider(ses, settings.MESSAGING_EMAIL_FROM, settings.MESSAGING_SES_CONFIGURATION_SET),
    sms: new SnsSmsProvider(sns, settings.MESSAGING_SMS_SENDER_ID),
  };
}

/** The notifications service wired to its store and providers; built once per container and reused. */
export async function buildNotificationsService(
  options: { clock?: Clock; email?: EmailProvider; sms?: SmsProvider } = {},
): Promise<NotificationsService> {
  const settings = serviceConfig(NotificationsEnv);
  const clock = options.clock ?? systemClock;
  const connection = await mongoFor('notifications');
  const contacts = new MongoContactStore(connection);
  const history = new MongoNotificationHistory(connection);
  const recorded = new RecordedMessages(connection, clock);
  await Promise.all([contacts.init(), history.init(), recorded.init()]);
  const defaults =
    settings.MESSAGING_PROVIDER === 'aws'
      ? awsProviders(settings)
      : { email: recorded.emailProvider(), sms: recorded.smsProvider() };
  return {
    deps: {
      contacts,
      history,
      email: options.email ?? defaults.email,
      sms: options.sms ?? defaults.sms,
      clock,
      leaseSeconds: settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS,
      observe,
    },
    contacts,
    history,
    recorded,
  };
}

export const recordsAtOnce = (): number => serviceConfig(NotificationsEnv).NOTIFICATIONS_RECORDS_AT_ONCE;

export const notificationsService = cachedOnce(() => buildNotificationsService());
