#!/usr/bin/env python3
"""kafka-topics: the demo's and the soak's topic chores, through confluent-kafka (librdkafka 2.16, installed by
scripts/setup.sh), an independent client of the brokers.

    scripts/kafka-topics.py create --bootstrap 127.0.0.1:19092 --retention-ms 3600000 TOPIC [TOPIC ...]
        creates each topic with that retention (time-based deletion by the broker; segments roll every fifth of
        it, since a broker deletes only whole closed segments: with Kafka's default of 7 days nothing is ever
        deleted sooner), or says it exists and what retention it has; exit 1 on any other error
    scripts/kafka-topics.py count --bootstrap 127.0.0.1:19092 TOPIC [TOPIC ...]
        reads every partition from its first message to its end and prints {"TOPIC": {"messages": N, "bytes": N,
        "first_offsets": [...]}} as JSON (a count by reading, not from watermarks: Tansu 0.6.0 reports a high
        watermark below its last offset)
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic


def create(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    config = {"retention.ms": str(args.retention_ms), "segment.ms": str(max(1000, args.retention_ms // 5))}
    futures = admin.create_topics(
        [NewTopic(topic, args.partitions, 1, config=config) for topic in args.topics], request_timeout=15)
    status = 0
    for topic, future in futures.items():
        try:
            future.result(20)
            print(f"kafka-topics: created {topic} ({args.partitions} partition(s), retention.ms {args.retention_ms})")
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                print(f"kafka-topics: cannot create {topic}: {error}", file=sys.stderr)
                status = 1
                continue
            described = admin.describe_configs([ConfigResource("topic", topic)])
            retention = "?"
            for _, entry in described.items():
                try:
                    retention = entry.result(10).get("retention.ms").value
                except Exception:  # a broker that does not describe configs
                    pass
            print(f"kafka-topics: {topic} exists (retention.ms {retention})")
    return status


def count(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap, "group.id": f"kafka-topics-count-{time.time()}",
        "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest",
        # noida-db ignores fetch size limits and answers with all it holds of a partition (846 MB measured).
        "fetch.max.bytes": 52428800, "receive.message.max.bytes": 2147483647,
    })
    result = {}
    for topic in args.topics:
        # A broker just restarted on gigabytes of data may take a while to answer.
        metadata = consumer.list_topics(topic, timeout=args.timeout).topics.get(topic)
        if metadata is None or metadata.error is not None:
            result[topic] = {"messages": 0, "bytes": 0, "first_offsets": [], "missing": True}
            continue
        partitions = [TopicPartition(topic, p, 0) for p in sorted(metadata.partitions)]
        # Offset 0 may be gone (retention): the consumer resets to the earliest that is left.
        consumer.assign(partitions)
        remaining, messages, size, first = set(metadata.partitions), 0, 0, {}
        deadline = time.time() + args.timeout
        while remaining and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    remaining.discard(message.partition())
                    continue
                raise KafkaException(message.error())
            first.setdefault(message.partition(), message.offset())
            messages += 1
            size += len(message.value() or b"")
        consumer.unassign()
        result[topic] = {"messages": messages, "bytes": size,
                         "first_offsets": [first.get(p) for p in sorted(metadata.partitions)],
                         "complete": not remaining}
    consumer.close()
    print(json.dumps(result))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("create")
    made.add_argument("--bootstrap", required=True)
    made.add_argument("--retention-ms", type=int, required=True)
    made.add_argument("--partitions", type=int, default=1)
    made.add_argument("topics", nargs="+")
    counted = commands.add_parser("count")
    counted.add_argument("--bootstrap", required=True)
    counted.add_argument("--timeout", type=float, default=600)
    counted.add_argument("topics", nargs="+")
    args = parser.parse_args()
    return create(args) if args.command == "create" else count(args)


if __name__ == "__main__":
    sys.exit(main())
