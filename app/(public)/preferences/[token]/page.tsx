import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { CONSENT_CHANNEL_LABELS } from "@/lib/consent/schema";
import { readLinkToken } from "@/server/consent/links";
import { preferencePage } from "@/server/consent/preferences";
import { db } from "@/server/db";

export const metadata: Metadata = { title: "Subscription preferences", robots: { index: false, follow: false }, referrer: "no-referrer" };

/**
 * The hosted preference page, opened from a signed link in a message (server/consent/links.ts):
 * the person's groups of that channel with a switch each, "unsubscribe from all", and — from
 * an unsubscribe link — a one-button confirmation for the message's group. Plain HTML forms
 * (no JavaScript needed, as in a mail app's browser) posting to /api/preferences/{token};
 * opening the page never changes anything (link checkers open links too).
 */
export default async function PreferencesPage({ params, searchParams }: { params: Promise<{ token: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { token } = await params;
  const query = await searchParams;
  const claims = readLinkToken(token);
  if (!claims) notFound();
  const page = await preferencePage(db(), claims);
  if (!page) {
    return (
      <div className="text-center" data-testid="preferences-gone">
        <h1 className="text-xl font-semibold text-slate-900">Nothing to manage</h1>
        <p className="mt-3 text-sm text-slate-600">We no longer keep any data about you for this link, so you will not receive these messages.</p>
      </div>
    );
  }
  const action = `/api/preferences/${encodeURIComponent(token)}`;
  const channel = CONSENT_CHANNEL_LABELS[page.channel].toLowerCase();
  const done = typeof query.done === "string" ? query.done : null;
  const confirming = query.unsubscribe === "1" && done === null && page.focus;
  const notice =
    done === "save"
      ? "Your preferences are saved."
      : done === "unsubscribe"
        ? page.focus
          ? `You are unsubscribed from “${page.focus.name}”.`
          : "You are unsubscribed."
        : done === "unsubscribe_all"
          ? `You are unsubscribed from all ${channel} messages listed here.`
          : null;

  return (
    <div data-testid="preferences">
      <p className="text-sm font-medium text-slate-500">{page.sender}</p>
      <h1 className="mt-1 text-xl font-semibold text-slate-900">Your {channel} preferences</h1>
      {notice && (
        <p role="status" className="mt-4 rounded-lg bg-emerald-50 px-4 py-3 text-sm text-emerald-800" data-testid="preferences-notice">
          {notice}
        </p>
      )}
      {confirming && page.focus && (
        <form method="post" action={action} className="mt-5 rounded-xl border border-slate-200 bg-slate-50 px-4 py-4">
          {page.focus.subscribed ? (
            <>
              <p className="text-sm text-slate-800">
                Unsubscribe from <strong>{page.focus.name}</strong>? You will no longer get these messages.
              </p>
              <button type="submit" name="action" value="unsubscribe" className="mt-3 inline-flex h-9 items-center rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-brand-700">
                Unsubscribe
              </button>
            </>
          ) : (
            <p className="text-sm text-slate-800">
              You are not subscribed to <strong>{page.focus.name}</strong>.
            </p>
          )}
        </form>
      )}
      {page.groups.length === 0 ? (
        <p className="mt-5 text-sm text-slate-600">There is nothing to subscribe to here.</p>
      ) : (
        <>
          <form method="post" action={action} className="mt-6">
            <fieldset>
              <legend className="text-sm font-medium text-slate-800">Choose what you want to receive</legend>
              <ul className="mt-3 divide-y divide-slate-100 rounded-xl border border-slate-200">
                {page.groups.map((g) => (
                  <li key={g.id} className="px-4 py-3">
                    <input type="hidden" name="shown" value={g.id} />
                    <label className="flex cursor-pointer items-start gap-3">
                      <input type="checkbox" name="subscribed" value={g.id} defaultChecked={g.subscribed} className="mt-1 size-4 rounded border-slate-300" data-testid="preference-toggle" aria-describedby={`group-${g.id}`} />
                      <span>
                        <span className="block text-sm font-medium text-slate-900">{g.name}</span>
                        <span id={`group-${g.id}`} className="block text-xs text-slate-500">
                          {g.description || (g.purpose === "transactional" ? "Messages about your account and orders." : "News and offers.")}
                        </span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
            <button type="submit" name="action" value="save" className="mt-4 inline-flex h-9 items-center rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-sm hover:bg-brand-700">
              Save preferences
            </button>
          </form>
          <form method="post" action={action} className="mt-6 border-t border-slate-100 pt-4">
            <p className="text-sm text-slate-600">Don’t want any of these?</p>
            <button type="submit" name="action" value="unsubscribe_all" className="mt-2 inline-flex h-9 items-center rounded-md bg-white px-3.5 text-sm font-medium text-red-700 ring-1 ring-red-200 ring-inset hover:bg-red-50">
              Unsubscribe from all
            </button>
          </form>
        </>
      )}
      <p className="mt-6 text-xs text-slate-400">Changes take effect right away. Your choices are recorded with the time, so {page.sender} can show what you agreed to.</p>
    </div>
  );
}
