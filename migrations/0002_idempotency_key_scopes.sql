CREATE TABLE `idempotency_keys` (
	`scope` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`body_hash` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
DROP INDEX `idx_runs_idempotency_key`;