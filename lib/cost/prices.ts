/**
 * AWS list prices the cost model uses: US East (N. Virginia), on-demand, first volume tier, no free
 * tier. Looked up on 2026-11-21; check the pricing pages before relying on them (docs/performance.md
 * has the same table with its sources).
 *
 * | item                                   | price                      | source |
 * |----------------------------------------|----------------------------|--------|
 * | Lambda duration, arm64                 | $0.0000133334 per GB-second | aws.amazon.com/lambda/pricing (first 7.5 billion GB-s a month) |
 * | Lambda requests                        | $0.20 per million           | aws.amazon.com/lambda/pricing |
 * | S3 Standard PUT, COPY, POST, LIST      | $0.005 per 1,000            | aws.amazon.com/s3/pricing |
 * | S3 Standard GET, HEAD and all other    | $0.0004 per 1,000           | aws.amazon.com/s3/pricing |
 * | S3 DELETE                              | free                        | aws.amazon.com/s3/pricing |
 * | SQS standard queue requests            | $0.40 per million (64 KB chunks) | aws.amazon.com/sqs/pricing (first 100 billion a month) |
 * | SQS FIFO queue requests                | $0.50 per million (64 KB chunks) | aws.amazon.com/sqs/pricing |
 * | Amazon Managed Service for Prometheus ingestion | $0.90 per 10 million samples | aws.amazon.com/prometheus/pricing (first 2 billion samples a month) |
 */

export interface PriceList {
  /** When the prices were looked up (YYYY-MM-DD). */
  asOf: string;
  region: string;
  /** $ per GB-second of an arm64 function. */
  lambdaArmGbSecond: number;
  /** $ per invocation. */
  lambdaRequest: number;
  /** $ per S3 PUT, COPY, POST or LIST request. */
  s3Tier1Request: number;
  /** $ per S3 GET, HEAD or other request. */
  s3Tier2Request: number;
  /** $ per SQS request (per 64 KB chunk) on a standard queue. */
  sqsStandardRequest: number;
  /** $ per SQS request (per 64 KB chunk) on a FIFO queue. */
  sqsFifoRequest: number;
  /** $ per sample ingested into Amazon Managed Service for Prometheus. */
  ampIngestedSample: number;
}

export const usEast1Prices: PriceList = {
  asOf: '2026-11-21',
  region: 'us-east-1',
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  s3Tier1Request: 0.005 / 1000,
  s3Tier2Request: 0.0004 / 1000,
  sqsStandardRequest: 0.4 / 1e6,
  sqsFifoRequest: 0.5 / 1e6,
  ampIngestedSample: 0.9 / 1e7,
};
