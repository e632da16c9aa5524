import { startHarness, type Harness, type HarnessOptions } from './harness.ts';

/** The App Home and rating tests' configuration (test/fixtures/relm.home.yml). */
export const HOME_CONFIG = new URL('../fixtures/relm.home.yml', import.meta.url).pathname;

/** A harness on relm.home.yml, with the user group its payments audience names (S0CUSTOMERS: U0CUST1). */
export async function startHomeHarness(options: HarnessOptions): Promise<Harness> {
  const h = await startHarness({ store: 'postgres', config: HOME_CONFIG, ...options });
  h.slack.userGroups.set('S0CUSTOMERS', ['U0CUST1']);
  return h;
}
