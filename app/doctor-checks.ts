import type { Config } from '../src/config/env.ts';
import { failedJobsDoctorCheck } from '../jobs/failed-jobs.doctor.ts';
import { imapDoctorCheck } from '../connectors/imap/index.ts';
import { mailboxStatusDoctorCheck } from './mailbox-status.doctor.ts';
import { slackPrivacyDoctorCheck } from '../connectors/slack/slack-privacy.doctor.ts';

export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, shown when not ok. */
  fix?: string;
}

export type DoctorCheck = (config: Config) => Promise<DoctorResult>;

/** Checks contributed by connectors and jobs (Slack auth, IMAP login, failed jobs, ...). */
export const doctorChecks: DoctorCheck[] = [
  imapDoctorCheck,
  mailboxStatusDoctorCheck,
  failedJobsDoctorCheck,
  slackPrivacyDoctorCheck,
];
