// Building blocks every module's screens share: loading and error states, form fields
// that show the server's validation error on the field it names, tables and history
// (cursor paging is in paging.tsx).
import { Fragment, createContext, useContext, useId, type ComponentProps, type FormEvent, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router-dom";
import { getConfig } from "./config";
import { failureAction, failureText, loginAgainUrl, showsDetails, type FailureFacts } from "./failures";
import { GraphQLRequestError } from "./graphql";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite" className="loading">
      Loading {what}…
    </p>
  );
}

/** The failure behind `error`: a request's (graphql.ts) or, for any other error, the page's. */
export function failureOf(error: unknown): FailureFacts & { operation?: "query" | "mutation" } {
  if (error instanceof GraphQLRequestError) return { ...error.failure, operation: error.operation };
  const details = error instanceof Error ? error.message : String(error);
  // fetch's own rejection ("Failed to fetch"): no answer came
  if (error instanceof TypeError && /fetch|network/i.test(details)) return { kind: "unreachable", details };
  return { kind: "page-error", details };
}

/**
 * A failed request (or any error) in the users' words (failures.ts): what happened and
 * what to do: a link to log in again that leads back here, a button to reload the page,
 * or to try a failed read again; the server's own messages under "Details" for whoever
 * the user asks for help. A failed change offers no button: its form is still there to
 * submit again.
 */
export function ErrorMessage({ error }: { error: unknown }) {
  const client = useQueryClient();
  if (!error) return null;
  const failure = failureOf(error);
  const offered = failureAction(failure.kind);
  // a failed change is not asked again from here: its form is still there to submit
  const action = offered === "try-again" && failure.operation === "mutation" ? null : offered;
  const text = failureText(failure);
  return (
    <div role="alert" className="error">
      <p>
        {text}
        {action && " "}
        {action === "log-in" && <a href={loginAgainUrl(getConfig().loginUrl, window.location)}>Log in again</a>}
        {action === "reload" && (
          <button type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        )}
        {action === "try-again" && (
          <button
            type="button"
            onClick={() => client.refetchQueries({ predicate: (query) => query.state.status === "error" })}
          >
            Try again
          </button>
        )}
      </p>
      {failure.details && showsDetails(failure.kind) && (
        <details>
          <summary>Details</summary>
          <p>{failure.details}</p>
        </details>
      )}
    </div>
  );
}

/** The answer of a record page whose record does not exist (or is hidden from the user). */
export function NotFound({ what, uuid }: { what: string; uuid: string }) {
  return (
    <p role="alert">
      No {what} with uuid {uuid}.
    </p>
  );
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * A record page for the route's `:uuid`: `render(uuid)` when it is a uuid (hex digits,
 * hyphens optional, as the API's UUID scalar reads it), else NotFound at once; a
 * malformed uuid would only be refused by the API as bad input.
 */
export function RecordRoute({ what, render }: { what: string; render: (uuid: string) => ReactNode }) {
  const { uuid = "" } = useParams();
  return UUID.test(uuid) ? render(uuid) : <NotFound what={what} uuid={uuid} />;
}

/** A mutation's error as the API returns it (UserError). */
export interface UserError {
  field?: string | null;
  code: string;
  message: string;
}

/**
 * The UI's own text per error code, for codes whose server message speaks to API clients
 * (it names API arguments such as `newParent`); a function gets the error (its message
 * still holds the details). Codes not listed show the server's message.
 */
export type ErrorTexts = Readonly<Record<string, string | ((error: UserError) => string)>>;

/** The text the UI shows for `error`: its code's text in `texts`, else its message. */
export function errorText(error: UserError, texts: ErrorTexts = {}): string {
  const text = Object.hasOwn(texts, error.code) ? texts[error.code] : undefined;
  if (text === undefined) return error.message;
  return typeof text === "function" ? text(error) : text;
}

/** The errors of `errors` that name `field`, or (field null) those naming no field. */
export function errorsFor(errors: readonly UserError[], field: string | null): UserError[] {
  return errors.filter((error) => (error.field ?? null) === field);
}

/** Errors of the form as a whole (field null or a field the form does not show). */
export function FormErrors({
  errors,
  fields,
  texts,
}: {
  errors: readonly UserError[];
  fields: string[];
  texts?: ErrorTexts;
}) {
  const general = errors.filter((error) => !error.field || !fields.includes(error.field));
  if (general.length === 0) return null;
  return (
    <div role="alert" className="error">
      {general.map((error, index) => (
        <p key={index}>{errorText(error, texts)}</p>
      ))}
    </div>
  );
}

/** What a field tells its MutationForm when the user edits it: its `name` (see Field). */
const FieldEdited = createContext<(name: string) => void>(() => {});

/**
 * A labelled form field; `children(id, describedBy)` renders the control. The errors of
 * `errors` naming `name` appear under it, tied to it by aria-describedby and aria-invalid,
 * in the UI's words where `texts` has their code (see ErrorTexts). An edit of the field
 * (a change of an input, select or textarea in it, or a click on one of its buttons: a
 * picker's choice or Clear) tells the enclosing MutationForm, which drops the field's
 * errors: they speak of the value submitted, not of the one now there.
 */
export function Field({
  label,
  name,
  errors,
  texts,
  children,
}: {
  label: string;
  name: string;
  errors: readonly UserError[];
  texts?: ErrorTexts;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const edited = useContext(FieldEdited);
  const mine = errorsFor(errors, name);
  const errorId = `${id}-error`;
  return (
    <div
      className="field"
      onChange={() => edited(name)}
      onClick={(event) => {
        if (event.target instanceof HTMLButtonElement) edited(name);
      }}
    >
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-describedby": mine.length ? errorId : undefined,
        "aria-invalid": mine.length ? true : undefined,
      })}
      {mine.length > 0 && (
        <p id={errorId} className="field-error">
          {mine.map((error) => errorText(error, texts)).join(" ")}
        </p>
      )}
    </div>
  );
}

/** A labelled one-line text input with its errors (see Field). */
export function TextField({
  label,
  name,
  errors,
  value,
  onChange,
}: {
  label: string;
  name: string;
  errors: readonly UserError[];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} name={name} errors={errors}>
      {(props) => <input {...props} value={value} onChange={(event) => onChange(event.target.value)} />}
    </Field>
  );
}

/**
 * A search box for a filter's text. It takes at most what the API's filters accept (the
 * shell config's `limits.filterText`), so the server is never sent a search it refuses;
 * a text at that length (typed or pasted, the rest cut) says so under the box.
 */
export function SearchInput({
  value,
  onChange,
  ...props
}: Omit<ComponentProps<"input">, "type" | "maxLength" | "value" | "onChange"> & {
  value: string;
  onChange: (value: string) => void;
}) {
  const noteId = useId();
  const limit = getConfig().limits.filterText;
  const full = value.length >= limit;
  const describedBy = [props["aria-describedby"], full && noteId].filter(Boolean).join(" ");
  return (
    <>
      <input
        {...props}
        type="search"
        maxLength={limit}
        value={value}
        aria-describedby={describedBy || undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {full && (
        <span id={noteId} role="status" className="field-note">
          Search text is at most {limit} characters.
        </span>
      )}
    </>
  );
}

/** A form's submit and cancel buttons; the submit one says "Saving…" while pending. */
export function FormButtons({
  label,
  pending,
  onCancel,
}: {
  label: string;
  pending: boolean;
  onCancel: () => void;
}) {
  return (
    <div className="actions">
      <button type="submit" disabled={pending}>
        {pending ? "Saving…" : label}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** What a form's mutation reports while it runs (see useFormMutation in graphql.ts). */
export interface MutationState {
  errors: readonly UserError[];
  /** Drops the errors naming `field`: the user edited it since they came. */
  edited: (field: string) => void;
  pending: boolean;
  failure: unknown;
}

/**
 * A form that runs one mutation, named `label` for screen readers: `title` (an h3) and
 * `note` (a paragraph) when given, then the mutation's errors naming none of `fields` and
 * its request failure, the fields (`children`), and the buttons (FormButtons with
 * `submitLabel`). Submitting calls `onSubmit()`, the page staying where it is. A Field
 * the user edits drops its errors (`mutation.edited`); a submission drops them all
 * (useFormMutation).
 */
export function MutationForm({
  label,
  title,
  note,
  fields,
  mutation,
  submitLabel,
  onSubmit,
  onCancel,
  children,
  texts,
}: {
  label: string;
  title?: ReactNode;
  note?: ReactNode;
  fields: string[];
  mutation: MutationState;
  submitLabel: string;
  onSubmit: () => void;
  onCancel: () => void;
  children: ReactNode;
  /** The UI's text per error code for the errors shown above the fields. */
  texts?: ErrorTexts;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form onSubmit={submit} aria-label={label}>
      {title && <h3>{title}</h3>}
      {note && <p>{note}</p>}
      <FormErrors errors={mutation.errors} fields={fields} texts={texts} />
      <ErrorMessage error={mutation.failure} />
      <FieldEdited.Provider value={mutation.edited}>{children}</FieldEdited.Provider>
      <FormButtons label={submitLabel} pending={mutation.pending} onCancel={onCancel} />
    </form>
  );
}

/** One change a detail page offers: a button `label`, shown only when `allowed`. */
export interface Action {
  label: string;
  allowed: boolean;
  onClick: () => void;
}

/** The "Actions" group of a detail page: a button for each allowed action, in order (none: no group). */
export function ActionButtons({ actions }: { actions: Action[] }) {
  const allowed = actions.filter((action) => action.allowed);
  if (allowed.length === 0) return null;
  return (
    <div className="actions" role="group" aria-label="Actions">
      {allowed.map((action) => (
        <button key={action.label} type="button" onClick={action.onClick}>
          {action.label}
        </button>
      ))}
    </div>
  );
}

/** The `<option>`s of a select: one per entry of `labels` (value -> label), in its order. */
export function Options({ labels }: { labels: Readonly<Record<string, string>> }) {
  return (
    <>
      {Object.entries(labels).map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** A table of `rows`, one column per entry of `columns`; `label` names it for screen readers. */
export function Table<T extends { uuid: string }>({
  label,
  rows,
  columns,
}: {
  label?: string;
  rows: readonly T[];
  columns: Column<T>[];
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.header}>{column.header}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.uuid}>
            {columns.map((column) => (
              <td key={column.header}>{column.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A validity instant in the user's locale; "current" for none (validityTo of a current row). */
export function formatDate(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : "current";
}

/** A versioned row's validity: from its validityFrom to its validityTo (none: current). */
export interface Validity {
  validityFrom: string;
  validityTo?: string | null;
}

/**
 * A detail's facts as a description list: each [term, value] in order ("–" for a null
 * or undefined value), then "Valid" from … to … of `row`.
 */
export function Facts({ facts, row }: { facts: [term: string, value: ReactNode][]; row: Validity }) {
  return (
    <dl className="facts">
      {facts.map(([term, value]) => (
        <Fragment key={term}>
          <dt>{term}</dt>
          <dd>{value ?? "–"}</dd>
        </Fragment>
      ))}
      <dt>Valid</dt>
      <dd>
        from {formatDate(row.validityFrom)} to {formatDate(row.validityTo)}
      </dd>
    </dl>
  );
}

/** The "History" section of a versioned row: its earlier versions, with their validity. */
export function HistorySection<T extends { uuid: string } & Validity>({
  rows,
  columns,
}: {
  rows: readonly T[];
  columns: Column<T>[];
}) {
  return (
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      {rows.length === 0 ? (
        <p>No earlier versions.</p>
      ) : (
        <Table
          rows={rows}
          columns={[
            ...columns,
            { header: "Valid from", cell: (row) => formatDate(row.validityFrom) },
            { header: "Valid to", cell: (row) => formatDate(row.validityTo) },
          ]}
        />
      )}
    </section>
  );
}

/** The text as typed, or null when blank (optional API fields take null, not ""). */
export function orNull(value: string): string | null {
  return value.trim() === "" ? null : value;
}
