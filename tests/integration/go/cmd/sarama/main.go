// SPDX-License-Identifier: Apache-2.0
// sarama: IBM/sarama against a Samsa broker with its default protocol
// version (V2_8_0_0): ClusterAdmin creates the topic, a SyncProducer
// (acks=all) sends keyed messages, a consumer group with the range assignor
// reads them all and commits, and the admin reads the committed offsets back.
// Exits 0 and prints "ok" when every check passed.
//
//	sarama <bootstrap> <topic> <count> <none|snappy|gzip|lz4|zstd>
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func step(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
}

func newConfig(codec string) *sarama.Config {
	cfg := sarama.NewConfig()
	if cfg.Version != sarama.V2_8_0_0 {
		fail("sarama's default Version is %s, this test expects 2.8.0", cfg.Version)
	}
	cfg.ClientID = "samsa-it-sarama"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	switch codec {
	case "none":
		cfg.Producer.Compression = sarama.CompressionNone
	case "snappy":
		cfg.Producer.Compression = sarama.CompressionSnappy
	case "gzip":
		cfg.Producer.Compression = sarama.CompressionGZIP
	case "lz4":
		cfg.Producer.Compression = sarama.CompressionLZ4
	case "zstd":
		cfg.Producer.Compression = sarama.CompressionZSTD
	default:
		fail("unknown codec %q", codec)
	}
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{
		sarama.NewBalanceStrategyRange(),
	}
	return cfg
}

func main() {
	if len(os.Args) != 5 {
		fail("usage: sarama <bootstrap> <topic> <count> <none|snappy|gzip|lz4|zstd>")
	}
	addrs := []string{os.Args[1]}
	topic := os.Args[2]
	count, err := strconv.Atoi(os.Args[3])
	if err != nil || count <= 0 {
		fail("bad count %q", os.Args[3])
	}
	cfg := newConfig(os.Args[4])
	group := topic + "-group"

	admin, err := sarama.NewClusterAdmin(addrs, cfg)
	if err != nil {
		fail("NewClusterAdmin: %v", err)
	}
	defer admin.Close()
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false)
	if err != nil {
		fail("CreateTopic: %v", err)
	}
	step("created %s", topic)

	produce(addrs, cfg, topic, count)
	consume(addrs, cfg, topic, group, count)

	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		fail("ListConsumerGroupOffsets: %v", err)
	}
	if resp.Err != sarama.ErrNoError {
		fail("ListConsumerGroupOffsets: %v", resp.Err)
	}
	var sum int64
	for p := int32(0); p < 3; p++ {
		b := resp.GetBlock(topic, p)
		if b == nil || b.Err != sarama.ErrNoError {
			fail("no committed offset for %s/%d: %+v", topic, p, b)
		}
		sum += b.Offset
	}
	if sum != int64(count) {
		fail("committed offsets sum to %d, want %d", sum, count)
	}
	step("committed offsets sum to %d", sum)
	step("ok")
}

func produce(addrs []string, cfg *sarama.Config, topic string, count int) {
	prod, err := sarama.NewSyncProducer(addrs, cfg)
	if err != nil {
		fail("NewSyncProducer: %v", err)
	}
	defer prod.Close()
	msgs := make([]*sarama.ProducerMessage, count)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(fmt.Sprintf("key-%d", i%37)),
			Value: sarama.StringEncoder(fmt.Sprintf("value-%06d", i)),
		}
	}
	// Half one by one (a batch each), half in one SendMessages call.
	half := count / 2
	for _, m := range msgs[:half] {
		if _, _, err := prod.SendMessage(m); err != nil {
			fail("SendMessage: %v", err)
		}
	}
	if err := prod.SendMessages(msgs[half:]); err != nil {
		var perr sarama.ProducerErrors
		if errors.As(err, &perr) && len(perr) > 0 {
			fail("SendMessages: %d failed, first: %v", len(perr), perr[0].Err)
		}
		fail("SendMessages: %v", err)
	}
	perPart := map[int32][]int64{}
	for _, m := range msgs {
		perPart[m.Partition] = append(perPart[m.Partition], m.Offset)
	}
	for p, offs := range perPart {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for i, o := range offs {
			if o != int64(i) {
				fail("partition %d: offset %d at position %d", p, o, i)
			}
		}
	}
	step("produced %d messages to %d partitions", count, len(perPart))
}

type handler struct {
	mu     sync.Mutex
	seen   map[string]bool
	claims map[int32]bool
	want   int
	done   chan struct{}
	once   sync.Once
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range s.Claims()[topicOf(s)] {
		h.claims[p] = true
	}
	return nil
}

func topicOf(s sarama.ConsumerGroupSession) string {
	for t := range s.Claims() {
		return t
	}
	return ""
}

func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.seen[string(m.Value)] = true
		n := len(h.seen)
		h.mu.Unlock()
		if n >= h.want {
			// Commit synchronously (auto-commit is off) before stopping.
			s.Commit()
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func consume(addrs []string, cfg *sarama.Config, topic, group string, count int) {
	cg, err := sarama.NewConsumerGroup(addrs, group, cfg)
	if err != nil {
		fail("NewConsumerGroup: %v", err)
	}
	h := &handler{seen: map[string]bool{}, claims: map[int32]bool{},
		want: count, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	go func() {
		for err := range cg.Errors() {
			fmt.Fprintf(os.Stderr, "consumer group error: %v\n", err)
		}
	}()
	select {
	case <-h.done:
	case err := <-errc:
		fail("Consume: %v", err)
	case <-time.After(40 * time.Second):
		h.mu.Lock()
		n := len(h.seen)
		h.mu.Unlock()
		fail("consumed %d of %d in 40 s", n, count)
	}
	cancel()
	if err := <-errc; err != nil {
		fail("Consume: %v", err)
	}
	if err := cg.Close(); err != nil {
		fail("closing the consumer group: %v", err)
	}
	for i := 0; i < count; i++ {
		if !h.seen[fmt.Sprintf("value-%06d", i)] {
			fail("value-%06d never consumed", i)
		}
	}
	if len(h.claims) != 3 {
		fail("the only member was given %d partitions, want 3", len(h.claims))
	}
	step("consumed %d distinct messages in group %s (range, 3 partitions)",
		len(h.seen), group)
}
