"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "../ui/button";
import { Field, Input } from "../ui/field";
import { INVITATION_HEADER, WORKSPACE_NAME_HEADER, authClient, authErrorMessage } from "./auth-client";

const MIN_PASSWORD = 10;

/**
 * Creates an account: either the first admin of an empty instance (asks for a workspace
 * name) or a member joining through an invitation (email fixed by the invitation).
 */
export function SignUpForm(props: { mode: "setup" } | { mode: "invite"; token: string; email: string }) {
  const router = useRouter();
  const [workspaceName, setWorkspaceName] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState(props.mode === "invite" ? props.email : "");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  function validate(): Record<string, string> {
    const next: Record<string, string> = {};
    if (props.mode === "setup" && !workspaceName.trim()) next.workspaceName = "Give your workspace a name";
    if (!name.trim()) next.name = "Tell us your name";
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) next.email = "Enter a valid email address";
    if (password.length < MIN_PASSWORD) next.password = `Use at least ${MIN_PASSWORD} characters`;
    return next;
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    const headers: Record<string, string> =
      props.mode === "invite"
        ? { [INVITATION_HEADER]: encodeURIComponent(props.token) }
        : { [WORKSPACE_NAME_HEADER]: encodeURIComponent(workspaceName.trim()) };
    const { error } = await authClient.signUp.email({
      name: name.trim(),
      email: email.trim().toLowerCase(),
      password,
      fetchOptions: { headers },
    });
    if (error) {
      setPending(false);
      setFormError(authErrorMessage(error));
      return;
    }
    router.replace("/");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {props.mode === "setup" && (
        <Field label="Workspace name" hint="Usually your company or product." error={errors.workspaceName}>
          {(p) => <Input {...p} autoFocus value={workspaceName} onChange={(e) => setWorkspaceName(e.target.value)} placeholder="Acme Inc." />}
        </Field>
      )}
      <Field label="Your name" error={errors.name}>
        {(p) => <Input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus={props.mode === "invite"} />}
      </Field>
      <Field label="Email" error={errors.email}>
        {(p) => (
          <Input
            {...p}
            type="email"
            autoComplete="email"
            value={email}
            readOnly={props.mode === "invite"}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password" hint={`At least ${MIN_PASSWORD} characters.`} error={errors.password}>
        {(p) => <Input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      {formError && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm font-medium text-red-700">
          {formError}
        </p>
      )}
      <Button type="submit" className="w-full" loading={pending}>
        {props.mode === "setup" ? "Create workspace" : "Join workspace"}
      </Button>
    </form>
  );
}
