/**
 * AWS SDK clients pointed at a local endpoint (the embedded stack or LocalStack), and small
 * SQS helpers for tests that assert on exactly which messages arrive.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';

export interface LocalClients {
  s3: S3Client;
  sqs: SQSClient;
}

export function localClients(endpoint: string): LocalClients {
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return { s3: new S3Client({ ...common, forcePathStyle: true }), sqs: new SQSClient(common) };
}

export function destroyClients(clients: LocalClients): void {
  clients.s3.destroy();
  clients.sqs.destroy();
}

/** Long-polls for up to `waitSeconds` and deletes what it received. */
export async function receiveAll(sqs: SQSClient, queueUrl: string, waitSeconds: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );
  for (const message of Messages) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return Messages;
}

/** Exactly one message within `waitSeconds`, and none following it within `quietSeconds`. */
export async function receiveExactlyOne(
  sqs: SQSClient,
  queueUrl: string,
  { waitSeconds = 5, quietSeconds = 1 } = {},
): Promise<unknown> {
  const first = await receiveAll(sqs, queueUrl, waitSeconds);
  const more = await receiveAll(sqs, queueUrl, quietSeconds);
  const all = [...first, ...more];
  if (all.length !== 1) {
    throw new Error(`expected exactly one message, got ${all.length}: ${all.map((m) => m.Body).join('\n')}`);
  }
  return JSON.parse(all[0]?.Body ?? 'null');
}
