// Building blocks every module's screens share: loading and error states, form fields
// that show the server's validation error on the field it names, and cursor paging.
import { useId, useState, type ReactNode } from "react";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite" className="loading">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

/** A mutation's error as the API returns it (UserError). */
export interface UserError {
  field?: string | null;
  code: string;
  message: string;
}

/** The errors of `errors` that name `field`, or (field null) those naming no field. */
export function errorsFor(errors: readonly UserError[], field: string | null): UserError[] {
  return errors.filter((error) => (error.field ?? null) === field);
}

/** Errors of the form as a whole (field null or a field the form does not show). */
export function FormErrors({ errors, fields }: { errors: readonly UserError[]; fields: string[] }) {
  const general = errors.filter((error) => !error.field || !fields.includes(error.field));
  if (general.length === 0) return null;
  return (
    <div role="alert" className="error">
      {general.map((error, index) => (
        <p key={index}>{error.message}</p>
      ))}
    </div>
  );
}

/**
 * A labelled form field; `children(id, describedBy)` renders the control. The errors of
 * `errors` naming `name` appear under it, tied to it by aria-describedby and aria-invalid.
 */
export function Field({
  label,
  name,
  errors,
  children,
}: {
  label: string;
  name: string;
  errors: readonly UserError[];
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const mine = errorsFor(errors, name);
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-describedby": mine.length ? errorId : undefined,
        "aria-invalid": mine.length ? true : undefined,
      })}
      {mine.length > 0 && (
        <p id={errorId} className="field-error">
          {mine.map((error) => error.message).join(" ")}
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

export interface PageInfo {
  hasNextPage: boolean;
  endCursor?: string | null;
}

/**
 * Forward cursor paging: `after` for the current page; next() moves on from a page's
 * endCursor, previous() goes back (the cursors already visited are kept).
 */
export function useCursorPager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  return {
    after,
    page: cursors.length,
    next: (endCursor: string) => setCursors((list) => [...list, endCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    reset: () => setCursors([null]),
  };
}

/** Previous / next buttons and "first–last of total" for one page of `connection`. */
export function Pager({
  label,
  pager,
  connection,
  pageSize,
}: {
  label: string;
  pager: ReturnType<typeof useCursorPager>;
  connection: { pageInfo: PageInfo; totalCount?: number | null };
  pageSize: number;
}) {
  const { pageInfo, totalCount } = connection;
  const first = (pager.page - 1) * pageSize + 1;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        Previous
      </button>
      <span>
        {totalCount ? `${first}–${Math.min(first + pageSize - 1, totalCount)} of ${totalCount}` : "none"}
      </span>
      <button
        type="button"
        onClick={() => pageInfo?.endCursor && pager.next(pageInfo.endCursor)}
        disabled={!pageInfo?.hasNextPage}
      >
        Next
      </button>
    </nav>
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

/** The "History" section of a versioned row: its earlier versions, with their validity. */
export function HistorySection<T extends { uuid: string; validityFrom: string; validityTo?: string | null }>({
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
