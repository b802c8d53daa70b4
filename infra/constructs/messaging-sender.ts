import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Channel } from '../../functions/notifications/domain/ports.ts';
import type { DeploySettings } from '../config.ts';
import type { ServiceFunction } from './service-function.ts';

/**
 * A subscription that `sends` email or SMS: with `-c messaging=aws` its function sends through SES v2 (as the
 * configured From address only) and SNS (SMS); by default (`recording`) it gets neither the permission nor the switch.
 */
export function grantMessaging(fn: ServiceFunction, sends: Channel[], settings: DeploySettings): void {
  if (settings.messaging !== 'aws') return;
  const from = settings.messagingEmailFrom;
  if (!from) throw new Error('-c messaging=aws needs -c messagingEmailFrom=<verified SES address>');
  fn.addEnvironment('MESSAGING_PROVIDER', 'aws');
  fn.addEnvironment('MESSAGING_EMAIL_FROM', from);
  const stack = Stack.of(fn);
  if (sends.includes('email')) {
    const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
    const domain = address.split('@')[1]!;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        // SES checks the sending identity: the verified address, or the verified domain it belongs to.
        resources: [address, domain].map((id) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: id })),
      }),
    );
  }
  if (sends.includes('sms')) {
    // Publishing straight to a phone number has no resource ARN to scope to; the action is Publish only.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
  }
}
