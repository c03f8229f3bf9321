/**
 * Mocha root hooks (loaded by .mocharc.json for every run): stop the shared test PostgreSQL
 * after the last test, if one was started. Imports nothing heavy: runs that never touch a
 * database pay nothing.
 */
import { stopTestDatabaseServer } from "./database";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopTestDatabaseServer();
  },
};
