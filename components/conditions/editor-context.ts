/**
 * What the condition editors need from the page that hosts them (the segment builder's
 * condition rows; a journey's branch cases and trigger filters): the problems to show,
 * autocomplete, the segments one may name. Changes go out through each editor's
 * `onChange(next, field)`, `field` naming what changed ("operator.value", "where.0.path")
 * so the host can coalesce a burst of typing in one field into one undo step.
 */

/** An operator as the editors handle it: its `op` with whatever operands and flags it has. */
export type AnyOperator = Record<string, unknown> & { op: string };

/** The message for a field of the condition being edited ("operator.value", "window.amount"), if it has a problem. */
export type ErrorOf = (field: string) => string | undefined;

export interface SegmentChoice {
  id: string;
  name: string;
  /** Archived segments are offered only to show a reference that already points at one. */
  archived?: boolean;
}

/** A subscription group a "subscribed to" condition may name. */
export interface SubscriptionGroupChoice {
  id: string;
  name: string;
  /** "Email · Opt-out": what the group is, beside its name. */
  detail: string;
}

/** A trait key of the workspace's profiles: its JSON types and common values, most common first. */
export interface TraitKeySuggestion {
  key: string;
  types: string[];
  topValues: (string | number | boolean)[];
}

/** A property of an event: its JSON types and common values, most common first. */
export interface EventPropertySuggestion {
  key: string;
  types: { type: string }[];
  topValues: { value: string | number | boolean }[];
}

/** Autocomplete for one condition (see `useConditionSuggestions`); anything missing is simply not offered. */
export interface ConditionSuggestions {
  traitKeys?: TraitKeySuggestion[];
  /** Common values of the built-in fields: `{ country: ["DE", "US", …] }`. */
  fieldValues?: Record<string, string[]>;
  eventNames?: string[];
  /** The properties of the event the condition names. */
  eventProperties?: EventPropertySuggestion[];
  /** The workspace's subscription groups (for a subscription condition). */
  subscriptionGroups?: SubscriptionGroupChoice[];
}

export interface ConditionContext {
  errorOf: ErrorOf;
  suggestions: ConditionSuggestions;
  /** What a "member of a segment" condition may name (the host leaves out what it must not, e.g. the segment itself). */
  segments: SegmentChoice[];
}
