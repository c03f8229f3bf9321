/**
 * Mocha root hooks (loaded by .mocharc.json for every run): before the first test, pin the day
 * exemption expiry is judged on; after the last, remove the run's temporary directories and stop
 * the shared test PostgreSQL, if one was started. Imports nothing heavy: runs that never touch a
 * database pay nothing.
 */
import { pinExemptionDay, TEST_DAY } from "./clock";
import { stopTestDatabaseServer } from "./database";
import { removeTempDirs } from "./temp";

export const mochaHooks = {
  beforeAll(): void {
    // Exemption expiry is judged on a fixed day in every test (support/clock.ts).
    pinExemptionDay(TEST_DAY);
  },
  async afterAll(): Promise<void> {
    removeTempDirs();
    await stopTestDatabaseServer();
  },
};
