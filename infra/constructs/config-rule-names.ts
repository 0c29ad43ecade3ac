/**
 * Names of the managed AWS Config rules the ConfigRules construct creates, as AWS names them.
 * Apart from the construct so that the detection patterns (and the drill) can name the rules
 * they watch without loading the CDK.
 */
export const S3_PUBLIC_READ_RULE = 's3-bucket-public-read-prohibited';
export const S3_PUBLIC_WRITE_RULE = 's3-bucket-public-write-prohibited';
