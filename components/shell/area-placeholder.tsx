import type { LucideIcon } from "lucide-react";
import { EmptyState } from "../ui/empty-state";
import { PageHeader } from "../ui/page-header";

/** The page of an area that holds nothing yet: what it is for, with examples from the domain. */
export function AreaEmpty({
  title,
  description,
  icon,
  emptyTitle,
  emptyText,
  examples,
}: {
  title: string;
  description: string;
  icon: LucideIcon;
  emptyTitle: string;
  emptyText: string;
  examples: string[];
}) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <EmptyState icon={icon} title={emptyTitle} description={emptyText}>
        <ul className="grid max-w-2xl gap-2 text-left sm:grid-cols-2">
          {examples.map((example) => (
            <li key={example} className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
              {example}
            </li>
          ))}
        </ul>
      </EmptyState>
    </>
  );
}
