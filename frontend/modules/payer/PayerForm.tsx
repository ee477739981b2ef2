// Create or edit a payer; every error the API returns appears on its field. The
// location is picked with the component another module contributes to
// "location.picker" (the location module's), never imported. A location hidden from the
// user (the API answered it null as FORBIDDEN) is shown as hidden and left unchanged.
import { useState } from "react";
import type { PayerType } from "../../src/gql/graphql";
import { readVersion, useFormMutation } from "../../src/shell/graphql";
import { useContributions } from "../../src/shell/registry";
import { Field, MutationForm, Options, TextField, orNull } from "../../src/shell/ui";
import { CreatePayerMutation, UpdatePayerMutation } from "./operations";
import { PAYER_TYPES } from "./types";

interface PickedLocation {
  uuid: string;
  code: string;
  name: string;
  type: string;
}

export interface PayerValues {
  uuid?: string;
  name: string;
  type: PayerType;
  address?: string | null;
  phone?: string | null;
  fax?: string | null;
  email?: string | null;
  location?: PickedLocation | null;
  /** The version read (validityFrom as served): sent with the update, refused when stale. */
  validityFrom?: string;
}

const FIELDS = ["name", "type", "location", "address", "phone", "fax", "email"];
const EMPTY: PayerValues = { name: "", type: "COOPERATIVE" };

export function PayerForm({
  payer,
  locationHidden = false,
  onDone,
  onCancel,
}: {
  payer?: PayerValues;
  /** The payer's location is hidden from the user: not shown, not sent (kept as it is). */
  locationHidden?: boolean;
  onDone: (uuid: string | null) => void;
  onCancel: () => void;
}) {
  const initial = payer ?? EMPTY;
  const [name, setName] = useState(initial.name);
  const [type, setType] = useState<PayerType>(initial.type);
  const [address, setAddress] = useState(initial.address ?? "");
  const [phone, setPhone] = useState(initial.phone ?? "");
  const [fax, setFax] = useState(initial.fax ?? "");
  const [email, setEmail] = useState(initial.email ?? "");
  const [location, setLocation] = useState<PickedLocation | null>(initial.location ?? null);
  const [Picker] = useContributions("location.picker");
  const create = useFormMutation(CreatePayerMutation, (data) => data.createPayer, onDone);
  const update = useFormMutation(UpdatePayerMutation, (data) => data.updatePayer, onDone);
  const mutation = payer?.uuid ? update : create;
  const { errors } = mutation;
  const input = {
    name,
    type,
    ...(locationHidden ? {} : { location: location?.uuid ?? null }),
    address: orNull(address),
    phone: orNull(phone),
    fax: orNull(fax),
    email: orNull(email),
  };
  const save = () => {
    if (payer?.uuid) update.submit({ input: { uuid: payer.uuid, ...input, ...readVersion(payer) } });
    else create.submit({ input });
  };
  return (
    <MutationForm
      label={payer?.uuid ? "Edit payer" : "New payer"}
      fields={FIELDS}
      mutation={mutation}
      submitLabel={payer?.uuid ? "Save" : "Create"}
      onSubmit={save}
      onCancel={onCancel}
    >
      <TextField label="Name" name="name" errors={errors} value={name} onChange={setName} />
      <Field label="Type" name="type" errors={errors}>
        {(props) => (
          <select {...props} value={type} onChange={(e) => setType(e.target.value as PayerType)}>
            <Options labels={PAYER_TYPES} />
          </select>
        )}
      </Field>
      <Field label="Region or district" name="location" errors={errors}>
        {(props) =>
          locationHidden ? (
            <output {...props}>hidden from you (left as it is)</output>
          ) : Picker ? (
            <Picker
              label="Find the payer's region or district"
              types={["REGION", "DISTRICT"]}
              value={location}
              onChange={setLocation}
              inputProps={props}
            />
          ) : (
            <output {...props}>{location ? `${location.name} (${location.code})` : "none"}</output>
          )
        }
      </Field>
      <Field label="Address" name="address" errors={errors}>
        {(props) => <textarea {...props} value={address} onChange={(e) => setAddress(e.target.value)} />}
      </Field>
      <TextField label="Phone" name="phone" errors={errors} value={phone} onChange={setPhone} />
      <TextField label="Fax" name="fax" errors={errors} value={fax} onChange={setFax} />
      <TextField label="E-mail" name="email" errors={errors} value={email} onChange={setEmail} />
    </MutationForm>
  );
}
