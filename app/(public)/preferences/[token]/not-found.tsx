/** A preference link that is not one of ours (cut short when copied, changed, or made up). */
export default function PreferenceLinkNotFound() {
  return (
    <div className="text-center" data-testid="preferences-not-found">
      <p className="text-sm font-semibold text-brand-600">Link not recognised</p>
      <h1 className="mt-2 text-xl font-semibold text-slate-900">This link doesn’t work</h1>
      <p className="mt-3 text-sm text-slate-600">
        It may have been cut short when it was copied. Open the link straight from the message you received, or use the unsubscribe link at the
        bottom of a newer message.
      </p>
    </div>
  );
}
