// Type-level tests of a workflow's events in types.ts (docs/language.md, "workflow"): the event
// union is closed, `apply<Model>Event` takes only the model's row and events, and its outcome
// narrows. Checked by `npm run typecheck`; every `@ts-expect-error` must hit an error.
import {
  CLAIM_STATE_EVENTS,
  applyClaimEvent,
  type Claim,
  type ClaimEvent,
  type ClaimState,
  type TransitionRefused,
} from '../.generated/corpus/braces-workflow/ts/types.js';

declare const claim: Claim;

export function events(): void {
  const outcome = applyClaimEvent(claim, 'pay');
  if (outcome.ok) {
    const state: ClaimState = outcome.state;
    void state;
  } else {
    const refused: TransitionRefused = outcome.refused;
    const event: string | undefined = refused.event;
    void event;
  }
  const fromFiled: readonly ClaimEvent[] = CLAIM_STATE_EVENTS.filed;
  void fromFiled;

  // @ts-expect-error `payLater` is not an event of Claim's workflow.
  applyClaimEvent(claim, 'payLater');
  // @ts-expect-error an event is one of the union, not any string.
  const any: ClaimEvent = 'anything';
  void any;
  // @ts-expect-error the row must be a Claim (it has no `title`, `amount`, ...).
  applyClaimEvent({ id: 'c1', status: 'filed' }, 'check');
  // @ts-expect-error `state` exists only on a successful outcome.
  void outcome.state;
}
