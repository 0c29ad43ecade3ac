/**
 * Organization mode: acting in a member account. The central functions assume the member role
 * (deployed in every account by the IAM StackSet) with a session name that names the incident
 * and a source identity that CloudTrail records on every call made with the session, so that a
 * workload account's trail shows which incident changed its security group.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { clientSettings, type ClientTimeouts } from './clients';

/** STS RoleSessionName and SourceIdentity: 2-64 of [\w+=,.@-] (botocore sts model). */
const SESSION_CHARS = /[^\w+=,.@-]/g;
const SESSION_MAX = 64;

/** A name STS accepts: disallowed characters become "-", cut to 64, at least 2 characters. */
export function sessionNameOf(text: string): string {
  const cleaned = text.replace(SESSION_CHARS, '-').slice(0, SESSION_MAX);
  return cleaned.length >= 2 ? cleaned : `${cleaned}--`.slice(0, 2);
}

/** Where to act, and under which names. */
export interface MemberTarget {
  readonly account: string;
  readonly region: string;
  /** Names the incident: "fr-<incident id>", e.g. the last part of the incident record ARN. */
  readonly sessionName: string;
  /**
   * Recorded by CloudTrail in the member account, e.g. "first-responder-reverter". Needs
   * sts:SetSourceIdentity in the role's trust policy. @default none (a role whose trust policy
   * does not allow it, such as OrganizationAccountAccessRole, for the CLI)
   */
  readonly sourceIdentity?: string;
}

export interface MemberSessionsProps {
  /** The member role's name, the same in every account. */
  readonly roleName: string;
  /** @default "aws" */
  readonly partition?: string;
  /** STS, with the shared timeouts (the regional endpoint of the function's own region). */
  readonly sts: STSClient;
  /** @default the shared timeouts */
  readonly timeouts?: ClientTimeouts;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Renewed this long before they expire, so that no call starts with credentials about to lapse. */
const RENEW_BEFORE_MS = 5 * 60_000;
/**
 * Sessions kept per container. The intake names a session per problem, so a long-lived
 * container would otherwise keep one entry per group it ever read; the oldest goes first.
 */
export const MAX_SESSIONS = 100;

/** Assumes the member role once per account and session name, and hands out clients that use it. */
export class MemberSessions {
  private readonly credentials = new Map<string, Promise<AwsCredentialIdentity>>();
  constructor(private readonly props: MemberSessionsProps) {}

  roleArn(account: string): string {
    return `arn:${this.props.partition ?? 'aws'}:iam::${account}:role/${this.props.roleName}`;
  }

  /** An EC2 client in the target's account and region. */
  ec2(target: MemberTarget): EC2Client {
    return new EC2Client({
      ...clientSettings(this.props.timeouts),
      region: target.region,
      credentials: () => this.credentialsFor(target),
    });
  }

  /** The session's credentials, assumed on first use and renewed before they expire. */
  credentialsFor(target: MemberTarget): Promise<AwsCredentialIdentity> {
    const key = `${target.account}/${sessionNameOf(target.sessionName)}`;
    const now = (this.props.now ?? Date.now)();
    const cached = this.credentials.get(key);
    if (cached) {
      const renew = cached.then(
        (c) => !c.expiration || c.expiration.getTime() - now < RENEW_BEFORE_MS,
        () => true,
      );
      return renew.then((stale) => (stale ? this.assume(key, target) : cached));
    }
    return this.assume(key, target);
  }

  private assume(key: string, target: MemberTarget): Promise<AwsCredentialIdentity> {
    const pending = this.props.sts
      .send(
        new AssumeRoleCommand({
          RoleArn: this.roleArn(target.account),
          RoleSessionName: sessionNameOf(target.sessionName),
          ...(target.sourceIdentity
            ? { SourceIdentity: sessionNameOf(target.sourceIdentity) }
            : {}),
          // The shortest STS allows: a runbook step lasts minutes.
          DurationSeconds: 900,
        }),
      )
      .then((out) => {
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new Error(`AssumeRole of ${this.roleArn(target.account)} returned no credentials`);
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
      });
    this.credentials.delete(key);
    this.credentials.set(key, pending);
    // A Map iterates in insertion order: the first key is the oldest session.
    if (this.credentials.size > MAX_SESSIONS)
      this.credentials.delete(this.credentials.keys().next().value!);
    // A failed assume is not cached: the next call tries again.
    pending.catch(() => this.credentials.delete(key));
    return pending;
  }
}

/** STS with the shared timeouts, in the function's own region. */
export function createStsClient(options: ClientTimeouts = {}): STSClient {
  return new STSClient(clientSettings(options));
}
