ALTER TABLE `steps` ADD `signal` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `cancelled` text;