import { describe, expect, it } from 'vitest';
import { FIELD_BLOCKS, readPlanForm } from '../../src/bot/views/plan-form.ts';

const text = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
const select = (value: string | null) => ({
  value: { type: 'static_select', selected_option: value === null ? null : { text: { type: 'plain_text', text: value }, value } },
});

/** A view_submission state for the planning modal, with every field filled in; override to taste. */
function values(overrides: Record<string, Record<string, any>> = {}): Record<string, Record<string, any>> {
  return {
    service: select('payments'),
    version: text('1.4.0'),
    type: select('minor'),
    title: text('Faster checkout'),
    description: text('Caches the basket.'),
    risk: select('medium'),
    planned_start: { value: { type: 'datetimepicker', selected_date_time: 1_796_119_200 } }, // 2026-12-01T10:00:00Z
    model: select('two-waves'),
    rollback_plan: text('Redeploy 1.3.9'),
    test_evidence: text('CI run 4411 green'),
    training: { value: { type: 'checkboxes', selected_options: [] } },
    ...overrides,
  };
}

describe('readPlanForm', () => {
  it('reads a complete form into a plan input', () => {
    expect(readPlanForm(values())).toEqual({
      ok: true,
      input: {
        service: 'payments',
        version: '1.4.0',
        type: 'minor',
        title: 'Faster checkout',
        description: 'Caches the basket.',
        risk: 'medium',
        plannedStart: new Date('2026-12-01T10:00:00Z'),
        deploymentModel: 'two-waves',
        rollbackPlan: 'Redeploy 1.3.9',
        testEvidence: 'CI run 4411 green',
        trainingNeeded: false,
        trainingLinks: [],
        impact: '',
        contact: null,
        assets: [],
      },
    });
  });

  it('reads training material as links, one per line, which also mark training as needed', () => {
    const form = readPlanForm(values({ training_links: text('https://wiki.example.com/a\n\n https://wiki.example.com/b ') }));
    expect(form.ok && { needed: form.input.trainingNeeded, links: form.input.trainingLinks }).toEqual({ needed: true, links: ['https://wiki.example.com/a', 'https://wiki.example.com/b'] });
    expect(readPlanForm(values({ training_links: text('see the wiki') }))).toEqual({ ok: false, errors: { training_links: 'Training material is links, one per line, each starting https://' } });
  });

  it('reports every field at fault at once, form checks and line checks together', () => {
    const form = readPlanForm(values({ version: text(null), assets: text('app.tar.gz 1234'), waves: text('nonsense'), training_links: text('ftp://x') }));
    expect(Object.keys(!form.ok ? form.errors : {}).sort()).toEqual(['assets', 'training_links', 'version', 'waves']);
  });

  it('reads release assets as name and sha256 per line, and says which line is wrong', () => {
    const sum = 'AB'.repeat(32);
    const ok = readPlanForm(values({ assets: text(`app.tar.gz ${sum}\n\n  app.sbom.json sha256:${'c'.repeat(64)}  `) }));
    expect(ok.ok && ok.input.assets).toEqual([
      { name: 'app.tar.gz', sha256: 'ab'.repeat(32) },
      { name: 'app.sbom.json', sha256: 'c'.repeat(64) },
    ]);
    expect(readPlanForm(values({ assets: text('app.tar.gz 1234') }))).toEqual({ ok: false, errors: { assets: '"app.tar.gz 1234" should be an asset name and its 64-character sha256, one per line.' } });
    expect(readPlanForm(values({ assets: text(`a ${sum}\na ${sum}`) }))).toEqual({ ok: false, errors: { assets: 'a is listed twice.' } });
  });

  it('reads the datetimepicker as unix seconds', () => {
    const form = readPlanForm(values({ planned_start: { value: { type: 'datetimepicker', selected_date_time: 1_800_000_000 } } }));
    expect(form.ok && form.input.plannedStart).toEqual(new Date(1_800_000_000_000));
  });

  it('has no planned start when the picker is empty or absent', () => {
    const empty = readPlanForm(values({ planned_start: { value: { type: 'datetimepicker', selected_date_time: null } } }));
    expect(empty.ok && empty.input.plannedStart).toBeNull();
    const { planned_start: _omit, ...rest } = values();
    const absent = readPlanForm(rest);
    expect(absent.ok && absent.input.plannedStart).toBeNull();
  });

  it('sets trainingNeeded when the checkbox is ticked', () => {
    const form = readPlanForm(values({ training: { value: { type: 'checkboxes', selected_options: [{ value: 'yes', text: { type: 'plain_text', text: 'Yes' } }] } } }));
    expect(form.ok && form.input.trainingNeeded).toBe(true);
  });

  it('trims the version', () => {
    const form = readPlanForm(values({ version: text('  1.4.0 \n') }));
    expect(form.ok && form.input.version).toBe('1.4.0');
  });

  it('turns empty optional text inputs (Slack sends null) into empty strings', () => {
    const form = readPlanForm(values({ title: text(null), description: text(null), rollback_plan: text(null), test_evidence: text(null) }));
    expect(form).toMatchObject({ ok: true, input: { title: '', description: '', rollbackPlan: '', testEvidence: '' } });
  });

  it('uses the fixed service of a release being edited, whatever the form says', () => {
    const form = readPlanForm(values({ service: select(null) }), 'search');
    expect(form.ok && form.input.service).toBe('search');
    const overridden = readPlanForm(values(), 'search');
    expect(overridden.ok && overridden.input.service).toBe('search');
  });

  it('asks for a service when none is picked, under the service block', () => {
    expect(readPlanForm(values({ service: select(null) }))).toEqual({ ok: false, errors: { service: 'Pick a service.' } });
    const { service: _omit, ...rest } = values();
    expect(readPlanForm(rest)).toEqual({ ok: false, errors: { service: 'Pick a service.' } });
  });

  it('asks for a version when it is missing or blank, under the version block', () => {
    expect(readPlanForm(values({ version: text(null) }))).toEqual({ ok: false, errors: { version: 'Give a version, like 1.4.0.' } });
    expect(readPlanForm(values({ version: text('   ') }))).toEqual({ ok: false, errors: { version: 'Give a version, like 1.4.0.' } });
  });

  it('reports every missing field at once, one message per block', () => {
    const form = readPlanForm({});
    expect(form.ok).toBe(false);
    expect(!form.ok && form.errors).toEqual({
      service: 'Pick a service.',
      version: 'Give a version, like 1.4.0.',
      type: 'Pick a type.',
      risk: 'Pick a risk.',
      model: 'Pick a deployment model.',
    });
  });

  it('refuses a type or risk outside the lists', () => {
    const form = readPlanForm(values({ type: select('huge'), risk: select('extreme') }));
    expect(form).toEqual({ ok: false, errors: { type: 'Pick a type.', risk: 'Pick a risk.' } });
  });

  it('keys a too-long field by its own block id', () => {
    const form = readPlanForm(values({ title: text('t'.repeat(151)), rollback_plan: text('r'.repeat(3001)), version: text('1'.repeat(65)) }));
    expect(form.ok).toBe(false);
    expect(Object.keys(!form.ok ? form.errors : {}).sort()).toEqual(['rollback_plan', 'title', 'version']);
  });

  it('maps every plan field to a block of the modal', () => {
    expect(FIELD_BLOCKS).toMatchObject({ plannedStart: 'planned_start', deploymentModel: 'model', rollbackPlan: 'rollback_plan', testEvidence: 'test_evidence', trainingNeeded: 'training' });
  });
});

describe('readPlanForm: the reason for a lower risk', () => {
  it('reads it, and shows a refusal about the risk next to the risk field', () => {
    const form = readPlanForm(values({ risk: select('low'), risk_reason: text('Behind a feature flag') }));
    expect(form.ok && form.input).toMatchObject({ risk: 'low', riskReason: 'Behind a feature flag' });
    expect(FIELD_BLOCKS.risk).toBe('risk');
    expect(FIELD_BLOCKS.riskReason).toBe('risk_reason');
    const long = readPlanForm(values({ risk_reason: text('x'.repeat(501)) }));
    expect(long.ok).toBe(false);
    expect(!long.ok && Object.keys(long.errors)).toEqual(['risk_reason']);
  });
});
