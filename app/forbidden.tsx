import { ShieldX } from "lucide-react";
import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center px-4 text-center">
      <div className="flex size-12 items-center justify-center rounded-full bg-red-50 text-red-600">
        <ShieldX className="size-6" aria-hidden="true" />
      </div>
      <h1 className="mt-4 text-xl font-semibold text-slate-900">You don’t have access to this page</h1>
      <p className="mt-2 max-w-md text-sm text-slate-500">
        This page is for workspace admins. If you need access, ask an admin to change your role.
      </p>
      <Link href="/" className="mt-6 text-sm font-medium text-brand-600 hover:text-brand-700">
        Back to the dashboard →
      </Link>
    </main>
  );
}
