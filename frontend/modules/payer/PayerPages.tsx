// The payer screens: the list (filters, paging), one payer's detail with history, and
// the forms to create, edit and delete.
import { useDeferredValue, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { PayerType } from "../../src/gql/graphql";
import { can } from "../../src/shell/config";
import { useFormMutation, useGraphQL } from "../../src/shell/graphql";
import {
  ErrorMessage,
  FormErrors,
  HistorySection,
  Loading,
  Options,
  Pager,
  Table,
  formatDate,
  useCursorPager,
} from "../../src/shell/ui";
import { DeletePayerMutation, PayerDetailQuery, PayerListQuery } from "./operations";
import { PayerForm } from "./PayerForm";
import { PAYER_TYPES } from "./types";

const PAGE = 25;

export function PayerListPage() {
  const [text, setText] = useState("");
  const [type, setType] = useState<PayerType | "">("");
  const search = useDeferredValue(text.trim());
  const pager = useCursorPager();
  const filter = { ...(search ? { search } : {}), ...(type ? { type } : {}) };
  const query = useGraphQL(PayerListQuery, { filter, first: PAGE, after: pager.after });
  const connection = query.data?.payers;
  return (
    <>
      <h1>Payers</h1>
      <div className="actions" role="search">
        <label>
          Search name, phone or e-mail{" "}
          <input
            type="search"
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              pager.reset();
            }}
          />
        </label>
        <label>
          Type{" "}
          <select
            value={type}
            onChange={(event) => {
              setType(event.target.value as PayerType | "");
              pager.reset();
            }}
          >
            <option value="">Any</option>
            <Options labels={PAYER_TYPES} />
          </select>
        </label>
        {can("payer.add_payer") && <Link to="/payers/new">New payer</Link>}
      </div>
      {query.isFetching && <Loading what="payers" />}
      <ErrorMessage error={query.error} />
      {connection && (
        <>
          <Table
            label="Payers"
            rows={connection.edges.map((edge) => edge.node)}
            columns={[
              { header: "Name", cell: (node) => <Link to={`/payers/${node.uuid}`}>{node.name}</Link> },
              { header: "Type", cell: (node) => PAYER_TYPES[node.type] },
              {
                header: "Location",
                cell: (node) => (node.location ? `${node.location.name} (${node.location.code})` : ""),
              },
              { header: "Phone", cell: (node) => node.phone },
              { header: "E-mail", cell: (node) => node.email },
            ]}
          />
          <Pager
            label="Payers"
            pager={pager}
            connection={connection}
            pageSize={PAGE}
          />
        </>
      )}
    </>
  );
}

export function NewPayerPage() {
  const navigate = useNavigate();
  return (
    <>
      <h1>New payer</h1>
      <PayerForm onDone={(uuid) => navigate(`/payers/${uuid}`)} onCancel={() => navigate("/payers")} />
    </>
  );
}

export function PayerDetailPage() {
  const { uuid = "" } = useParams();
  return <PayerDetail key={uuid} uuid={uuid} />;
}

function PayerDetail({ uuid }: { uuid: string }) {
  const navigate = useNavigate();
  const [action, setAction] = useState<"edit" | "delete" | null>(null);
  const query = useGraphQL(PayerDetailQuery, { uuid });
  const remove = useFormMutation(DeletePayerMutation, (data) => data.deletePayer, () =>
    navigate("/payers"),
  );
  const payer = query.data?.payer;
  if (query.isPending) return <Loading what="the payer" />;
  if (query.error) return <ErrorMessage error={query.error} />;
  if (!payer) return <p role="alert">No payer with uuid {uuid}.</p>;
  const current = !payer.validityTo;
  return (
    <article>
      <p>
        <Link to="/payers">Payers</Link>
      </p>
      <h1>{payer.name}</h1>
      {query.isFetching && <Loading what="changes" />}
      <dl className="facts">
        <dt>Type</dt>
        <dd>{PAYER_TYPES[payer.type]}</dd>
        <dt>Location</dt>
        <dd>{payer.location ? `${payer.location.name} (${payer.location.code})` : "–"}</dd>
        <dt>Address</dt>
        <dd style={{ whiteSpace: "pre-line" }}>{payer.address ?? "–"}</dd>
        <dt>Phone</dt>
        <dd>{payer.phone ?? "–"}</dd>
        <dt>Fax</dt>
        <dd>{payer.fax ?? "–"}</dd>
        <dt>E-mail</dt>
        <dd>{payer.email ?? "–"}</dd>
        <dt>Valid</dt>
        <dd>
          from {formatDate(payer.validityFrom)} to {formatDate(payer.validityTo)}
        </dd>
      </dl>
      {current && (
        <div className="actions" role="group" aria-label="Actions">
          {can("payer.change_payer") && (
            <button type="button" onClick={() => setAction("edit")}>
              Edit
            </button>
          )}
          {can("payer.delete_payer") && (
            <button type="button" onClick={() => setAction("delete")}>
              Delete
            </button>
          )}
        </div>
      )}
      {action === "edit" && (
        <PayerForm payer={payer} onDone={() => setAction(null)} onCancel={() => setAction(null)} />
      )}
      {action === "delete" && (
        <div role="group" aria-label="Confirm deletion">
          <p>Delete {payer.name}? It stays in the history.</p>
          <FormErrors errors={remove.errors} fields={[]} />
          <ErrorMessage error={remove.failure} />
          <div className="actions">
            <button type="button" disabled={remove.pending} onClick={() => remove.submit({ input: { uuid } })}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setAction(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <HistorySection
        rows={payer.history}
        columns={[
          { header: "Name", cell: (version) => version.name },
          { header: "Type", cell: (version) => PAYER_TYPES[version.type] },
          { header: "Phone", cell: (version) => version.phone },
          { header: "E-mail", cell: (version) => version.email },
        ]}
      />
    </article>
  );
}
