ALTER TABLE "runs" ADD COLUMN "trace_parent" text;--> statement-breakpoint
ALTER TABLE "steps" ADD COLUMN "calls" json;