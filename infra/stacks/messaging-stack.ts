import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { DeploySettings } from '../config.ts';

/** The custom event bus every domain event goes through, its archive (for replay), and the alarm topic. */
export class MessagingStack extends Stack {
  readonly bus: events.EventBus;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: StackProps & { settings: DeploySettings }) {
    super(scope, id, props);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `shop-${props.settings.stage}-events` });
    this.bus.archive('Archive', {
      description: 'Every shop domain event, for replay',
      eventPattern: { source: events.Match.prefix('shop.') },
      retention: Duration.days(30),
    });
    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: 'Shop platform alarms', enforceSSL: true });
    if (props.settings.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.settings.alarmEmail));
  }
}
