import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../infra/offline/engines/ports.ts';
import { ProviderRejected } from '../domain/errors.ts';
import { SesEmailProvider, SnsSmsProvider } from './aws.ts';

// The SES v2 and SNS adapters against moto_server, an AWS API peer: what a real send and a real refusal look like.
const endpoint = inject('motoUrl');
const aws = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ses = new SESv2Client(aws);
const email = { to: 'ada@example.com', subject: 'Welcome to Shop', text: 'Hello Ada', html: '<p>Hello Ada</p>' };

beforeAll(async () => {
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'shop.example' }));
});

describe('SesEmailProvider', () => {
  it('sends as a verified identity and returns the SES message id', async () => {
    const sent = await new SesEmailProvider(ses, 'Shop <no-reply@shop.example>').send(email, 'evt_1:email');
    expect(sent.messageId).toMatch(/\S{8,}/);
  });

  it('reports a refusal (unverified From address) as ProviderRejected: certainly not sent, safe to retry', async () => {
    const error = await new SesEmailProvider(ses, 'someone@unverified.example').send(email, 'evt_2:email').catch((e) => e);
    expect(error).toBeInstanceOf(ProviderRejected);
  });

  it('reports a connection never made as ProviderRejected', async () => {
    const closed = new SESv2Client({ ...aws, endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const error = await new SesEmailProvider(closed, 'no-reply@shop.example').send(email, 'evt_3:email').catch((e) => e);
    expect(error).toBeInstanceOf(ProviderRejected);
  });
});

describe('SnsSmsProvider', () => {
  it('publishes a transactional SMS to a phone number and returns the message id', async () => {
    const sent = await new SnsSmsProvider(new SNSClient(aws), 'Shop').send({ to: '+447946000000', text: 'Shop: hi' });
    expect(sent.messageId).toMatch(/\S{8,}/);
  });

  it('reports a number SNS refuses as ProviderRejected', async () => {
    const error = await new SnsSmsProvider(new SNSClient(aws)).send({ to: 'not-a-number', text: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderRejected);
  });
});
