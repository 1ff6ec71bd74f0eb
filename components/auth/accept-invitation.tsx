"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { errorMessage, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Input } from "../ui/field";
import { authClient, authErrorMessage } from "./auth-client";

/**
 * Accepting an invitation with an account that exists already (someone removed and
 * invited again): sign in with the invited address, or — signed in as it — join at once.
 */
export function AcceptInvitation(props: { token: string; email: string; workspaceName: string; signedIn: boolean }) {
  const router = useRouter();
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const accept = useMutation(
    trpc.members.accept.mutationOptions({
      onSuccess: () => {
        router.replace("/");
        router.refresh();
      },
      onError: (failure) => setError(errorMessage(failure)),
    }),
  );

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!props.signedIn) {
      setSigningIn(true);
      const { error: failure } = await authClient.signIn.email({ email: props.email, password });
      setSigningIn(false);
      if (failure) {
        setError(authErrorMessage(failure));
        return;
      }
    }
    accept.mutate({ token: props.token });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {props.signedIn ? (
        <p className="text-sm text-slate-600">
          You are signed in as <strong className="text-slate-800">{props.email}</strong>.
        </p>
      ) : (
        <>
          <p className="text-sm text-slate-600">You already have a Junction account. Sign in to accept.</p>
          <Field label="Email">{(p) => <Input {...p} type="email" value={props.email} readOnly />}</Field>
          <Field label="Password">
            {(p) => <Input {...p} type="password" autoComplete="current-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
        </>
      )}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm font-medium text-red-700">
          {error}
        </p>
      )}
      <Button type="submit" className="w-full" loading={signingIn || accept.isPending}>
        {props.signedIn ? `Join ${props.workspaceName}` : "Sign in and join"}
      </Button>
    </form>
  );
}

/** Signed in as someone else than the invitation is for. */
export function WrongAccount({ email, invited }: { email: string; invited: string }) {
  const router = useRouter();
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        This invitation is for <strong className="text-slate-800">{invited}</strong>, but you are signed in as{" "}
        <strong className="text-slate-800">{email}</strong>. Sign out to accept it with the invited address.
      </p>
      <Button
        variant="secondary"
        className="w-full"
        onClick={async () => {
          await authClient.signOut();
          router.refresh();
        }}
      >
        Sign out
      </Button>
    </div>
  );
}
