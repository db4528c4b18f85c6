"""Reads a whole Kafka topic back for the independent checks (archive-check.py, alerts-check.py).

A check reads once the producers have stopped. It reads every partition from its beginning until each has reached
the high watermark it had when reading began and nothing new came for a second; or, whatever the watermarks say,
until nothing came for `idle_seconds` (a broker's watermark may lag behind its last offset: Tansu's can).
"""
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING


def read_topic(bootstrap, topic, group, idle_seconds=4.0, settle_seconds=1.0):
    """Every message of `topic` as (partition, offset, value), each partition's in order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "fetch.max.bytes": 52428800, "receive.message.max.bytes": 104857600})
    metadata = consumer.list_topics(topic, timeout=10)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        consumer.close()
        return []
    partitions = sorted(metadata.topics[topic].partitions)
    ends = {}
    for partition in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > low:
            ends[partition] = high
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    messages, reached = [], {}
    last = time.time()
    deadline = last + 300
    while time.time() < deadline:
        idle = time.time() - last
        at_ends = all(reached.get(p, 0) >= end for p, end in ends.items())
        if idle >= idle_seconds or (at_ends and idle >= settle_seconds):
            break
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        messages.append((message.partition(), message.offset(), message.value()))
        reached[message.partition()] = max(reached.get(message.partition(), 0), message.offset() + 1)
        last = time.time()
    consumer.close()
    return messages
