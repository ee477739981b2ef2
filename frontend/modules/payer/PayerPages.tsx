// The payer screens: the list (filters, paging), one payer's detail with history, and
// the forms to create, edit and delete. A user who may not see locations gets the payers
// with their location hidden (null, FORBIDDEN on its path): the list leaves the column
// out, the detail says "hidden from you". A payer offers Edit and Delete by its
// viewerCanChange / viewerCanDelete (permissions and district rights: a payer at no
// location is read only to a user of some districts).
import { useDeferredValue, useId, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { PayerListQuery as PayerListQueryResult, PayerType } from "../../src/gql/graphql";
import { can } from "../../src/shell/config";
import { isForbidden, readVersion, useFormMutation, useGraphQL } from "../../src/shell/graphql";
import { PagedTable, usePagedGraphQL } from "../../src/shell/paging";
import {
  ActionButtons,
  ErrorMessage,
  Facts,
  FormErrors,
  HistorySection,
  Loading,
  NotFound,
  Options,
  RecordRoute,
  SearchInput,
} from "../../src/shell/ui";
import { DeletePayerMutation, PayerDetailQuery, PayerListQuery } from "./operations";
import { PayerForm } from "./PayerForm";
import { PAYER_TYPES } from "./types";

const PAGE = 25;

type PayerNode = PayerListQueryResult["payers"]["edges"][number]["node"];

export function PayerListPage() {
  const searchId = useId();
  const [text, setText] = useState("");
  const [type, setType] = useState<PayerType | "">("");
  const search = useDeferredValue(text.trim());
  const filter = { ...(search ? { search } : {}), ...(type ? { type } : {}) };
  const paged = usePagedGraphQL(PayerListQuery, { filter }, PAGE, (data) => data.payers);
  const locationHidden = paged.query.forbidden.some(
    (path) => path[0] === "payers" && path.at(-1) === "location",
  );
  return (
    <>
      <h1>Payers</h1>
      <div className="actions" role="search">
        <span>
          <label htmlFor={searchId}>Search name, phone or e-mail</label>{" "}
          <SearchInput
            id={searchId}
            value={text}
            onChange={(value) => {
              setText(value);
              paged.pager.reset();
            }}
          />
        </span>
        <label>
          Type{" "}
          <select
            value={type}
            onChange={(event) => {
              setType(event.target.value as PayerType | "");
              paged.pager.reset();
            }}
          >
            <option value="">Any</option>
            <Options labels={PAYER_TYPES} />
          </select>
        </label>
        {can("payer.add_payer") && <Link to="/payers/new">New payer</Link>}
      </div>
      <PagedTable
        paged={paged}
        label="Payers"
        columns={[
          { header: "Name", cell: (node) => <Link to={`/payers/${node.uuid}`}>{node.name}</Link> },
          { header: "Type", cell: (node) => PAYER_TYPES[node.type] },
          ...(locationHidden
            ? []
            : [
                {
                  header: "Location",
                  cell: (node: PayerNode) =>
                    node.location ? `${node.location.name} (${node.location.code})` : "",
                },
              ]),
          { header: "Phone", cell: (node) => node.phone },
          { header: "E-mail", cell: (node) => node.email },
        ]}
      />
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
  return <RecordRoute what="payer" render={(uuid) => <PayerDetail key={uuid} uuid={uuid} />} />;
}

function PayerDetail({ uuid }: { uuid: string }) {
  const navigate = useNavigate();
  const [action, setAction] = useState<"edit" | "delete" | null>(null);
  const query = useGraphQL(PayerDetailQuery, { uuid });
  const remove = useFormMutation(DeletePayerMutation, (data) => data.deletePayer, () =>
    navigate("/payers"),
  );
  const payer = query.data?.payer;
  const locationHidden = isForbidden(query.forbidden, "payer.location");
  if (query.isPending) return <Loading what="the payer" />;
  if (query.error) return <ErrorMessage error={query.error} />;
  if (!payer) return <NotFound what="payer" uuid={uuid} />;
  const current = !payer.validityTo;
  return (
    <article>
      <p>
        <Link to="/payers">Payers</Link>
      </p>
      <h1>{payer.name}</h1>
      {query.isFetching && <Loading what="changes" />}
      <Facts
        row={payer}
        facts={[
          ["Type", PAYER_TYPES[payer.type]],
          [
            "Location",
            locationHidden
              ? "hidden from you"
              : payer.location && `${payer.location.name} (${payer.location.code})`,
          ],
          ["Address", payer.address && <span style={{ whiteSpace: "pre-line" }}>{payer.address}</span>],
          ["Phone", payer.phone],
          ["Fax", payer.fax],
          ["E-mail", payer.email],
        ]}
      />
      {current && (
        <ActionButtons
          actions={[
            { label: "Edit", allowed: payer.viewerCanChange, onClick: () => setAction("edit") },
            { label: "Delete", allowed: payer.viewerCanDelete, onClick: () => setAction("delete") },
          ]}
        />
      )}
      {action === "edit" && (
        <PayerForm payer={payer} locationHidden={locationHidden} onDone={() => setAction(null)} onCancel={() => setAction(null)} />
      )}
      {action === "delete" && (
        <div role="group" aria-label="Confirm deletion">
          <p>Delete {payer.name}? It stays in the history.</p>
          <FormErrors errors={remove.errors} fields={[]} />
          <ErrorMessage error={remove.failure} />
          <div className="actions">
            <button type="button" disabled={remove.pending} onClick={() => remove.submit({ input: { uuid, ...readVersion(payer) } })}>
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
