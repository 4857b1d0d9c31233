import type { Config } from '../config/env.ts';

/** One line of `rapport doctor`. */
export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, shown when not ok. */
  fix?: string;
}

/** A check `rapport doctor` runs; connectors and jobs contribute them, app/doctor-checks.ts lists them. */
export type DoctorCheck = (config: Config) => Promise<DoctorResult>;
