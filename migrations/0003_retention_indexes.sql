CREATE INDEX `idx_idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE INDEX `idx_runs_parent` ON `runs` (`parent_run_id`);