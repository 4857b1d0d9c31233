/**
 * 下周二 09:00 in Asia/Shanghai (UTC+8, no daylight saving time) as said at `now`: the Tuesday of the
 * next Monday-to-Sunday week. Counted here by hand, not by the code under test.
 */
export function nextWeekTuesdayAt9(now: Date): Date {
  const shanghai = new Date(now.getTime() + 8 * 3_600_000); // UTC fields = Shanghai wall clock
  const sinceMonday = (shanghai.getUTCDay() + 6) % 7;
  const tuesday = Date.UTC(shanghai.getUTCFullYear(), shanghai.getUTCMonth(), shanghai.getUTCDate() - sinceMonday + 8);
  return new Date(tuesday + (9 - 8) * 3_600_000);
}
