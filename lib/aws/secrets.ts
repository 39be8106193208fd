/** Reading a secret's string from AWS Secrets Manager at run time (remote-write credentials, API keys). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsConfigFromEnv, type Env } from './clients.js';
import { AwsAccessError, describeCause } from './errors.js';

export type SecretReader = (secretId: string) => Promise<string>;

export function secretsManagerReader(env: Env = process.env): SecretReader {
  let client: SecretsManagerClient | undefined;
  return async (secretId) => {
    client ??= new SecretsManagerClient(awsConfigFromEnv('secretsmanager', env));
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (SecretString === undefined) throw new Error('the secret has no string value (binary secrets are not supported)');
      return SecretString;
    } catch (error) {
      throw new AwsAccessError(`could not read secret ${secretId}: ${describeCause(error)}`, { cause: error, operation: 'GetSecretValue' });
    }
  };
}
