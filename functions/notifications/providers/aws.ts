import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ProviderRejected } from '../domain/errors.ts';
import type { EmailMessage, EmailProvider, SentMessage, SmsMessage, SmsProvider } from '../domain/ports.ts';

/**
 * A refusal the provider answered (4xx: invalid address, throttled, sandbox) or a connection never made means the
 * message was certainly not taken; a 5xx or a timeout may have been, so it stays ambiguous (ADR 0006).
 */
function classify(provider: string, error: unknown): Error {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  if ((status && status >= 400 && status < 500) || e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND')
    return new ProviderRejected(`${provider} refused the message: ${e.name}: ${e.message}`);
  return e;
}

/** SES v2 SendEmail. SES has no idempotency keys and no way to ask for a message by one, hence no `lookup`. */
export class SesEmailProvider implements EmailProvider {
  readonly name = 'ses';
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(message: EmailMessage, idempotencyKey: string): Promise<SentMessage> {
    try {
      const out = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
            },
          },
          // The key travels with the message into SES event publishing, for reconciling by hand.
          EmailTags: [{ Name: 'idempotency-key', Value: idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_') }],
          ConfigurationSetName: this.configurationSet,
        }),
      );
      return { messageId: out.MessageId ?? 'unknown' };
    } catch (error) {
      throw classify('ses', error);
    }
  }
}

/** SNS Publish to a phone number (transactional SMS). No idempotency keys either. */
export class SnsSmsProvider implements SmsProvider {
  readonly name = 'sns';
  constructor(
    private readonly client: SNSClient,
    private readonly senderId?: string,
  ) {}

  async send(message: SmsMessage): Promise<SentMessage> {
    try {
      const out = await this.client.send(
        new PublishCommand({
          PhoneNumber: message.to,
          Message: message.text,
          MessageAttributes: {
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
            ...(this.senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.senderId } } : {}),
          },
        }),
      );
      return { messageId: out.MessageId ?? 'unknown' };
    } catch (error) {
      throw classify('sns', error);
    }
  }
}

export { SESv2Client, SNSClient };
