/**
 * S3 and SQS clients configured from the environment, so that the same code talks to AWS,
 * LocalStack or the embedded stack (http://localhost:4566) depending only on env variables.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { envSettings, type EnvSettings } from '../config/env.js';
import { AwsConfigError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConfig {
  region: string;
  /** Set only for a custom endpoint (LocalStack, the embedded stack); AWS endpoints are resolved by the SDK. */
  endpoint?: string;
  /** Undefined means the SDK's default provider chain (Lambda role, profile, SSO, …). */
  credentials?: AwsCredentials;
  maxAttempts: number;
  /**
   * AWS_SDK_UA_APP_ID: added to every request's User-Agent as `app/<id>`, so that a caller can be
   * told apart in access logs (the embedded stack counts requests per caller with it).
   */
  userAgentAppId?: string;
}

export const DEFAULT_REGION = 'us-east-1';
/** The SDK default is 3; S3 answers 503 SlowDown under bursts of writes to one prefix, so allow a few more. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Emulators accept any key pair but the SDK refuses to sign without one. */
const LOCAL_CREDENTIALS: AwsCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The SDK's service-specific endpoint variables. */
const endpointVariables = { s3: 'AWS_ENDPOINT_URL_S3', sqs: 'AWS_ENDPOINT_URL_SQS', secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER' } as const;

/** Throws AwsConfigError for a setting that cannot be used (AWS_MAX_ATTEMPTS not a positive integer). */
export function awsConfigFromEnv(service: keyof typeof endpointVariables, env: Env = process.env): AwsConfig {
  const settings = envSettings(env, (message) => new AwsConfigError(message));
  const endpoint = settings.text(endpointVariables[service]) ?? settings.text('AWS_ENDPOINT_URL');
  const region = settings.text('AWS_REGION') ?? settings.text('AWS_DEFAULT_REGION') ?? DEFAULT_REGION;
  const config: AwsConfig = { region, maxAttempts: settings.positiveInteger('AWS_MAX_ATTEMPTS') ?? DEFAULT_MAX_ATTEMPTS };
  if (endpoint !== undefined) config.endpoint = endpoint;
  const appId = settings.text('AWS_SDK_UA_APP_ID');
  if (appId !== undefined) config.userAgentAppId = appId;
  const credentials = credentialsFrom(settings, endpoint !== undefined);
  if (credentials !== undefined) config.credentials = credentials;
  return config;
}

export function createS3Client(env: Env = process.env): S3Client {
  const config = awsConfigFromEnv('s3', env);
  const clientConfig: S3ClientConfig = {
    ...config,
    // Emulators serve buckets under the path; virtual-host style would need DNS for bucket.localhost.
    forcePathStyle: config.endpoint !== undefined,
    // The SDK's default computes a CRC32 in JavaScript over every body, 5+ MiB multipart parts
    // included, and checks the one of every answer; SigV4's signed payload already protects uploads.
    // Operations that require a checksum (DeleteObjects) still get one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  return new S3Client(clientConfig);
}

export function createSqsClient(env: Env = process.env): SQSClient {
  const clientConfig: SQSClientConfig = { ...awsConfigFromEnv('sqs', env) };
  return new SQSClient(clientConfig);
}

function credentialsFrom(settings: EnvSettings, customEndpoint: boolean): AwsCredentials | undefined {
  const accessKeyId = settings.text('AWS_ACCESS_KEY_ID');
  const secretAccessKey = settings.text('AWS_SECRET_ACCESS_KEY');
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    // Passed explicitly so that an `env` other than process.env is honoured.
    const sessionToken = settings.text('AWS_SESSION_TOKEN');
    return sessionToken === undefined
      ? { accessKeyId, secretAccessKey }
      : { accessKeyId, secretAccessKey, sessionToken };
  }
  const otherSource = settings.text('AWS_PROFILE') ?? settings.text('AWS_WEB_IDENTITY_TOKEN_FILE') ?? settings.text('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  if (customEndpoint && otherSource === undefined) return { ...LOCAL_CREDENTIALS };
  return undefined;
}
