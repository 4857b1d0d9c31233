import type { DoctorCheck } from '../src/runtime/doctor-check.ts';
import { failedJobsDoctorCheck } from '../jobs/failed-jobs.doctor.ts';
import { redisPrefixDoctorCheck } from '../jobs/redis-prefix.doctor.ts';
import { imapDoctorCheck, mailQuarantineDoctorCheck } from '../connectors/imap/index.ts';
import { mailboxStatusDoctorCheck } from './mailbox-status.doctor.ts';
import { slackPrivacyDoctorCheck } from '../connectors/slack/slack-privacy.doctor.ts';
import { teamsPrivacyDoctorCheck } from '../connectors/teams/teams-privacy.doctor.ts';

/** Checks contributed by connectors and jobs (Slack auth, IMAP login, failed jobs, ...). */
export const doctorChecks: DoctorCheck[] = [
  imapDoctorCheck,
  mailboxStatusDoctorCheck,
  mailQuarantineDoctorCheck,
  redisPrefixDoctorCheck,
  failedJobsDoctorCheck,
  slackPrivacyDoctorCheck,
  teamsPrivacyDoctorCheck,
];
