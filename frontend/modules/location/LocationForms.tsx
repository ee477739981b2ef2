// Create, rename, move and delete: each sends one mutation and shows every error the
// API returns on the field it names (errors naming no shown field above the form).
// "Delete with everything below" is left out: the API has no such mutation yet (issue 11).
import { useState } from "react";
import type { LocationType, References } from "../../src/gql/graphql";
import { readVersion, useFormMutation } from "../../src/shell/graphql";
import { Field, MutationForm, TextField, type ErrorTexts, type MutationState } from "../../src/shell/ui";
import { LEVEL_LABEL } from "./levels";
import { LocationPicker, type PickedLocation } from "./LocationPicker";
import {
  CreateLocationMutation,
  DeleteLocationMutation,
  MoveLocationMutation,
  UpdateLocationMutation,
} from "./operations";

interface Done {
  onDone: (uuid: string | null) => void;
  onCancel: () => void;
}

/** The code and name of a location, for a new one or a rename; `save` runs the mutation. */
function CodeNameForm({
  title,
  submitLabel,
  initial,
  save,
  onCancel,
  mutation,
}: {
  title: string;
  submitLabel: string;
  initial: { code: string; name: string };
  save: (code: string, name: string) => void;
  onCancel: () => void;
  mutation: MutationState;
}) {
  const [code, setCode] = useState(initial.code);
  const [name, setName] = useState(initial.name);
  const { errors } = mutation;
  return (
    <MutationForm
      label={title}
      title={title}
      fields={["code", "name"]}
      mutation={mutation}
      submitLabel={submitLabel}
      onSubmit={() => save(code, name)}
      onCancel={onCancel}
    >
      <TextField label="Code" name="code" errors={errors} value={code} onChange={setCode} />
      <TextField label="Name" name="name" errors={errors} value={name} onChange={setName} />
    </MutationForm>
  );
}

export function CreateLocationForm({
  type,
  parent,
  onDone,
  onCancel,
}: Done & { type: LocationType; parent: string | null }) {
  const mutation = useFormMutation(CreateLocationMutation, (data) => data.createLocation, onDone);
  return (
    <CodeNameForm
      mutation={mutation}
      title={`New ${LEVEL_LABEL[type].toLowerCase()}`}
      submitLabel="Create"
      initial={{ code: "", name: "" }}
      save={(code, name) => mutation.submit({ input: { code, name, type, parent } })}
      onCancel={onCancel}
    />
  );
}

export function RenameLocationForm({
  location,
  onDone,
  onCancel,
}: Done & { location: { uuid: string; code: string; name: string; validityFrom?: string } }) {
  const mutation = useFormMutation(UpdateLocationMutation, (data) => data.updateLocation, onDone);
  return (
    <CodeNameForm
      mutation={mutation}
      title="Rename"
      submitLabel="Save"
      initial={location}
      save={(code, name) => mutation.submit({ input: { uuid: location.uuid, code, name, ...readVersion(location) } })}
      onCancel={onCancel}
    />
  );
}

export function MoveLocationForm({
  location,
  parentType,
  onDone,
  onCancel,
}: Done & { location: { uuid: string; validityFrom?: string }; parentType: LocationType }) {
  const [parent, setParent] = useState<PickedLocation | null>(null);
  const mutation = useFormMutation(MoveLocationMutation, (data) => data.moveLocation, onDone);
  const level = LEVEL_LABEL[parentType].toLowerCase();
  return (
    <MutationForm
      label="Move"
      title={`Move under another ${level}`}
      fields={["parent"]}
      mutation={mutation}
      submitLabel="Move"
      onSubmit={() =>
        mutation.submit({ input: { uuid: location.uuid, parent: parent?.uuid ?? null, ...readVersion(location) } })
      }
      onCancel={onCancel}
    >
      <Field label={`New parent (${level})`} name="parent" errors={mutation.errors}>
        {(props) => (
          <LocationPicker
            label={`Find the new ${level}`}
            types={[parentType]}
            value={parent}
            onChange={setParent}
            inputProps={props}
          />
        )}
      </Field>
    </MutationForm>
  );
}

/**
 * The delete form's words for the errors whose server message names the mutation's
 * arguments (newParent, descendants, references, reassignTo): the fields' labels instead.
 */
export const DELETE_ERROR_TEXTS: ErrorTexts = {
  HAS_CHILDREN:
    "It still has locations under it: choose where they move here, tick “Delete everything below it too”, or move them first.",
  CONFLICT: "Either move its children or delete everything below it, not both.",
  REQUIRED: "Choose the location that receives them.",
  NOT_ALLOWED: "A location to move them to is used only with “Move them to another location”.",
};

export function DeleteLocationForm({
  location,
  onDone,
  onCancel,
}: Done & { location: { uuid: string; name: string; type: LocationType; validityFrom?: string } }) {
  const [newParent, setNewParent] = useState<PickedLocation | null>(null);
  // "everything below": the location and every location under it, in one transaction
  const [descendants, setDescendants] = useState(false);
  const [references, setReferences] = useState<References>("PROTECT");
  const [reassignTo, setReassignTo] = useState<PickedLocation | null>(null);
  const mutation = useFormMutation(DeleteLocationMutation, (data) => data.deleteLocation, onDone);
  const { errors } = mutation;
  const input = {
    uuid: location.uuid,
    newParent: descendants ? null : (newParent?.uuid ?? null),
    descendants,
    references,
    reassignTo: references === "REASSIGN" ? (reassignTo?.uuid ?? null) : null,
    ...readVersion(location),
  };
  return (
    <MutationForm
      label="Delete"
      title={`Delete ${location.name}?`}
      note="It stays in the history. A location with children is deleted only when they move to another one, or with everything below it."
      fields={["newParent", "descendants", "references", "reassignTo"]}
      texts={DELETE_ERROR_TEXTS}
      mutation={mutation}
      submitLabel="Delete"
      onSubmit={() => mutation.submit({ input })}
      onCancel={onCancel}
    >
      <Field label="Delete everything below it too" name="descendants" errors={errors}>
        {(props) => (
          <input
            type="checkbox"
            {...props}
            checked={descendants}
            onChange={(event) => setDescendants(event.target.checked)}
          />
        )}
      </Field>
      {!descendants && (
        <Field
          label="Move its children to (optional)"
          name="newParent"
          errors={errors}
          texts={DELETE_ERROR_TEXTS}
        >
          {(props) => (
            <LocationPicker
              label={`Find the ${LEVEL_LABEL[location.type].toLowerCase()} that receives the children`}
              types={[location.type]}
              value={newParent}
              onChange={setNewParent}
              inputProps={props}
            />
          )}
        </Field>
      )}
      <Field label="What other modules keep there (payers …)" name="references" errors={errors}>
        {(props) => (
          <select
            {...props}
            value={references}
            onChange={(event) => setReferences(event.target.value as References)}
          >
            <option value="PROTECT">Refuse the delete and list them</option>
            <option value="CASCADE">Delete them too</option>
            <option value="REASSIGN">Move them to another location</option>
          </select>
        )}
      </Field>
      {references === "REASSIGN" && (
        <Field label="Move them to" name="reassignTo" errors={errors} texts={DELETE_ERROR_TEXTS}>
          {(props) => (
            <LocationPicker
              label="Find the location that receives them"
              value={reassignTo}
              onChange={setReassignTo}
              inputProps={props}
            />
          )}
        </Field>
      )}
    </MutationForm>
  );
}
