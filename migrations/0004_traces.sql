ALTER TABLE `runs` ADD `trace_parent` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `calls` text;