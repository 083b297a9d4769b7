"""dronewatch's common package: settings, message models, the topic catalogue, the one Kafka
runner, the store's table definitions and logging. Every service imports from here; nothing here
imports a service."""
