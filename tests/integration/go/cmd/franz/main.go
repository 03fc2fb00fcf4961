// SPDX-License-Identifier: Apache-2.0
// franz: franz-go (kgo + kadm) against a Samsa broker, with kgo's defaults:
// idempotent producer (InitProducerId), snappy preferred, cooperative-sticky
// consumer group. Exits 0 and prints "ok" when every check passed.
//
//	franz <bootstrap> <topic> <count>
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func step(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: franz <bootstrap> <topic> <count>")
	}
	seed, topic := os.Args[1], os.Args[2]
	count, err := strconv.Atoi(os.Args[3])
	if err != nil || count <= 0 {
		fail("bad count %q", os.Args[3])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	admCl, err := kgo.NewClient(kgo.SeedBrokers(seed))
	if err != nil {
		fail("admin client: %v", err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)

	createAndDeleteScratch(ctx, adm, topic+"-scratch")
	createTopic(ctx, adm, topic, 3)
	produce(ctx, seed, topic, count)
	group := topic + "-group"
	consumeAndCheckGroup(ctx, seed, adm, topic, group, count)
	step("ok")
}

func createTopic(ctx context.Context, adm *kadm.Client, topic string, parts int32) {
	retention := "3600000"
	resp, err := adm.CreateTopics(ctx, parts, 1,
		map[string]*string{"retention.ms": &retention}, topic)
	if err != nil {
		fail("CreateTopics %s: %v", topic, err)
	}
	r := resp[topic]
	if r.Err != nil {
		fail("CreateTopics %s: %v (%s)", topic, r.Err, r.ErrMessage)
	}
	// CreateTopics v5+ answers with the topic's configuration (KIP-525).
	if r.NumPartitions != parts || r.ReplicationFactor != 1 || r.ID == (kadm.TopicID{}) {
		fail("CreateTopics %s answered partitions=%d rf=%d id=%v",
			topic, r.NumPartitions, r.ReplicationFactor, r.ID)
	}
	rc, ok := r.Configs["retention.ms"]
	if !ok || rc.Value == nil || *rc.Value != retention ||
		rc.Source != kmsg.ConfigSourceDynamicTopicConfig {
		fail("CreateTopics %s: retention.ms in the answer is %+v", topic, rc)
	}
	if cp, ok := r.Configs["cleanup.policy"]; !ok || cp.Value == nil || *cp.Value != "delete" {
		fail("CreateTopics %s: cleanup.policy in the answer is %+v", topic, cp)
	}
	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		fail("ListTopics: %v", err)
	}
	d, ok := details[topic]
	if !ok || d.Err != nil || len(d.Partitions) != int(parts) {
		fail("topic %s after create: present=%v err=%v partitions=%d",
			topic, ok, d.Err, len(d.Partitions))
	}
	step("created %s with %d partitions", topic, parts)
}

func createAndDeleteScratch(ctx context.Context, adm *kadm.Client, topic string) {
	createTopic(ctx, adm, topic, 2)
	resp, err := adm.DeleteTopics(ctx, topic)
	if err != nil {
		fail("DeleteTopics: %v", err)
	}
	if r := resp[topic]; r.Err != nil {
		fail("DeleteTopics %s: %v (%s)", topic, r.Err, r.ErrMessage)
	}
	all, err := adm.ListTopics(ctx)
	if err != nil {
		fail("ListTopics: %v", err)
	}
	if all.Has(topic) {
		fail("%s still listed after DeleteTopics", topic)
	}
	step("deleted %s", topic)
}

func produce(ctx context.Context, seed, topic string, count int) {
	// Defaults only: acks=all, idempotent, snappy preferred, murmur2 for keys.
	cl, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.DefaultProduceTopic(topic))
	if err != nil {
		fail("producer: %v", err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, count)
	for i := range recs {
		recs[i] = &kgo.Record{
			Key:   []byte(fmt.Sprintf("key-%d", i%37)),
			Value: []byte(fmt.Sprintf("value-%06d", i)),
		}
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		fail("ProduceSync: %v", err)
	}
	// Offsets per partition must be 0..n-1 without holes or repeats.
	perPart := map[int32][]int64{}
	for _, r := range res {
		if r.Record.ProducerID < 0 {
			fail("record produced without a producer id: not idempotent")
		}
		perPart[r.Record.Partition] = append(perPart[r.Record.Partition], r.Record.Offset)
	}
	for p, offs := range perPart {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for i, o := range offs {
			if o != int64(i) {
				fail("partition %d: offset %d at position %d", p, o, i)
			}
		}
	}
	step("produced %d records to %d partitions (producer id %d)",
		count, len(perPart), res[0].Record.ProducerID)
}

func consumeAndCheckGroup(ctx context.Context, seed string, adm *kadm.Client,
	topic, group string, count int) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(seed),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer cl.Close()

	seen := map[string]bool{}
	snappy := 0
	for len(seen) < count {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			fail("consumed %d of %d before the deadline", len(seen), count)
		}
		fetches.EachError(func(t string, p int32, err error) {
			fail("fetch %s/%d: %v", t, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if r.ProducerID < 0 {
				fail("consumed record from a non-idempotent batch")
			}
			if r.Attrs.CompressionType() == 2 {
				snappy++
			}
			seen[string(r.Value)] = true
		})
	}
	for i := 0; i < count; i++ {
		if !seen[fmt.Sprintf("value-%06d", i)] {
			fail("value-%06d never consumed", i)
		}
	}
	// kgo compresses a batch with snappy when that makes it smaller, which
	// repetitive values always do: the broker must keep and serve those.
	if snappy == 0 {
		fail("no consumed record came from a snappy batch")
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		fail("commit: %v", err)
	}
	step("consumed %d distinct records (%d from snappy batches) and committed",
		len(seen), snappy)

	listed, err := adm.ListGroups(ctx)
	if err != nil {
		fail("ListGroups: %v", err)
	}
	found := false
	for _, g := range listed.Groups() {
		found = found || g == group
	}
	if !found {
		fail("ListGroups does not show %s: %v", group, listed.Groups())
	}

	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		fail("DescribeGroups: %v", err)
	}
	d := described[group]
	if d.Err != nil || d.State != "Stable" || d.Protocol != "cooperative-sticky" ||
		d.ProtocolType != "consumer" || len(d.Members) != 1 {
		fail("DescribeGroups %s: err=%v state=%q protocol=%q type=%q members=%d",
			group, d.Err, d.State, d.Protocol, d.ProtocolType, len(d.Members))
	}
	asg, ok := d.Members[0].Assigned.AsConsumer()
	if !ok || len(asg.Topics) != 1 || len(asg.Topics[0].Partitions) != 3 {
		fail("member assignment not 3 partitions of %s: %+v", topic, asg)
	}
	step("group %s: Stable, 1 member with 3 partitions", group)

	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		fail("FetchOffsets: %v", err)
	}
	if err := offs.Error(); err != nil {
		fail("FetchOffsets: %v", err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			committed += o.At
		}
	})
	if committed != int64(count) {
		fail("committed offsets sum to %d, want %d", committed, count)
	}

	lags, err := adm.Lag(ctx, group)
	if err != nil {
		fail("Lag: %v", err)
	}
	l := lags[group]
	if err := l.Error(); err != nil {
		fail("Lag %s: %v", group, err)
	}
	if total := l.Lag.Total(); total != 0 {
		fail("lag of %s is %d after committing everything", group, total)
	}
	for _, pl := range l.Lag[topic] {
		if pl.Err != nil {
			fail("lag %s/%d: %v", topic, pl.Partition, pl.Err)
		}
	}
	step("offsets sum to %d, lag 0", committed)
}
