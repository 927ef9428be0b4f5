CREATE TABLE `approvals` (
	`run_id` text NOT NULL,
	`step_id` text NOT NULL,
	`seq` integer NOT NULL,
	`tool_name` text NOT NULL,
	`tool_use_id` text NOT NULL,
	`arguments` text,
	`on_reject` text NOT NULL,
	`timeout_ms` integer DEFAULT 0 NOT NULL,
	`timeout_behavior` text NOT NULL,
	`status` text NOT NULL,
	`partial_metrics` text,
	`created_at` text NOT NULL,
	`decided_at` text,
	PRIMARY KEY(`run_id`, `step_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `idx_approvals_status` ON `approvals` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`step_id` text,
	`data` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`run_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_name` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`metadata` text,
	`payload` text,
	`parent_run_id` text,
	`idempotency_key` text,
	`cost_microusd` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `idx_runs_created_at` ON `runs` (`created_at`);--> statement-breakpoint
CREATE INDEX `idx_runs_workflow_created` ON `runs` (`workflow_name`,`created_at`);--> statement-breakpoint
CREATE INDEX `idx_runs_status_created` ON `runs` (`status`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `idx_runs_idempotency_key` ON `runs` (`idempotency_key`);--> statement-breakpoint
CREATE TABLE `steps` (
	`run_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`seq` integer NOT NULL,
	`error` text,
	`output` text,
	`raw_output` text,
	`validation_errors` text,
	`metrics` text NOT NULL,
	`reflected` integer,
	`messages` text,
	`started_at` text,
	`ended_at` text,
	PRIMARY KEY(`run_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `idx_steps_run_seq` ON `steps` (`run_id`,`seq`);