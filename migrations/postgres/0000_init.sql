CREATE TABLE "approvals" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"tool_name" text NOT NULL,
	"tool_use_id" text NOT NULL,
	"arguments" json,
	"on_reject" text NOT NULL,
	"timeout_ms" bigint DEFAULT 0 NOT NULL,
	"timeout_behavior" text NOT NULL,
	"status" text NOT NULL,
	"partial_metrics" json,
	"created_at" text NOT NULL,
	"decided_at" text,
	CONSTRAINT "approvals_run_id_step_id_seq_pk" PRIMARY KEY("run_id","step_id","seq")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"run_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"step_id" text,
	"data" json,
	"created_at" text NOT NULL,
	CONSTRAINT "events_run_id_seq_pk" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"body_hash" text NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_name" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"metadata" json,
	"payload" json,
	"parent_run_id" text,
	"idempotency_key" text,
	"cost_microusd" bigint DEFAULT 0 NOT NULL,
	"created_at" text NOT NULL,
	"updated_at" text NOT NULL,
	"completed_at" text,
	"insertion_order" bigint GENERATED ALWAYS AS IDENTITY (sequence name "runs_insertion_order_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "steps" (
	"run_id" text NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"seq" bigint NOT NULL,
	"error" text,
	"output" json,
	"raw_output" text,
	"validation_errors" json,
	"metrics" json NOT NULL,
	"reflected" boolean,
	"messages" json,
	"started_at" text,
	"ended_at" text,
	"signal" text,
	"cancelled" json,
	CONSTRAINT "steps_run_id_id_pk" PRIMARY KEY("run_id","id")
);
--> statement-breakpoint
CREATE INDEX "idx_approvals_status" ON "approvals" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "idx_runs_created_at" ON "runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idx_runs_workflow_created" ON "runs" USING btree ("workflow_name","created_at");--> statement-breakpoint
CREATE INDEX "idx_runs_status_created" ON "runs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "idx_steps_run_seq" ON "steps" USING btree ("run_id","seq");