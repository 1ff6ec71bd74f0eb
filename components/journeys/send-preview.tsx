"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { ExternalLink } from "lucide-react";
import Link from "next/link";
import { useEffect } from "react";
import { RenderedMessage } from "../messages/template-preview";
import { useTRPC } from "../trpc/client";

/** What a send step sends: the template's latest saved version, rendered for an example person. */
export function SendPreview({ templateId }: { templateId: string }) {
  const trpc = useTRPC();
  const template = useQuery(trpc.messages.get.queryOptions({ id: templateId }));
  const preview = useMutation(trpc.messages.preview.mutationOptions());
  const content = template.data ? (template.data.versions[0]?.content ?? template.data.content) : null;
  const { mutate } = preview;
  useEffect(() => {
    if (content) mutate({ content, profileId: null, event: null });
  }, [content, mutate]);

  if (template.isError) return <p className="text-xs text-red-600">The message could not be loaded: {template.error.message}</p>;
  const result = preview.data?.result;
  return (
    <div className="space-y-1.5" data-testid="send-preview">
      <p className="flex items-center justify-between text-sm font-medium text-slate-800">
        Preview
        <Link href={`/messages/${templateId}`} className="inline-flex items-center gap-1 text-xs font-normal text-brand-700 hover:underline">
          Edit message <ExternalLink className="size-3" aria-hidden="true" />
        </Link>
      </p>
      {!result ? (
        <div className="h-24 animate-pulse rounded-lg bg-slate-100" aria-label="Rendering the preview" />
      ) : result.ok ? (
        content?.channel === "email" ? (
          <div className="rounded-lg border border-slate-200 px-3 py-2 text-xs">
            <p className="font-semibold text-slate-900">{result.output.subject}</p>
            <p className="mt-1 line-clamp-4 whitespace-pre-wrap text-slate-600">{result.output.text}</p>
          </div>
        ) : (
          <div className="origin-top-left text-xs [&_*]:text-xs">
            <RenderedMessage channel={content!.channel} output={result.output} width="mobile" />
          </div>
        )
      ) : (
        <p className="rounded-md bg-red-50 px-2.5 py-1.5 text-xs text-red-700">This message does not render yet: {result.errors[0]?.message}</p>
      )}
      <p className="text-xs text-slate-500">Shown with an example person; simulate the journey to see it for a real one.</p>
    </div>
  );
}
