// SPDX-License-Identifier: Apache-2.0
// franzload: a franz-go producer for the cluster fault tests
// (tests/cluster/checker.py) with kgo's defaults: idempotent, acks=all,
// retries until delivered. It sends keys <tag>-<n> (each once) round-robin
// over the partitions at about <rate> records a second until its stdin
// closes, then flushes for at most <flush_s> seconds. Lines on stdout:
//
//	ack <key> <partition> <offset>   (acknowledged by the broker)
//	fail <key> <error>               (not acknowledged)
//	sent <n>                         (records handed to the client)
//	done <acked> <failed>
//
//	franzload <bootstrap> <topic> <partitions> <tag> <rate> <flush_s>
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: franzload <bootstrap> <topic> <partitions> <tag> <rate> <flush_s>")
		os.Exit(2)
	}
	seed, topic, tag := os.Args[1], os.Args[2], os.Args[4]
	parts, err1 := strconv.Atoi(os.Args[3])
	rate, err2 := strconv.Atoi(os.Args[5])
	flushS, err3 := strconv.Atoi(os.Args[6])
	if err1 != nil || err2 != nil || err3 != nil || parts <= 0 || rate <= 0 {
		fmt.Fprintln(os.Stderr, "bad numbers")
		os.Exit(2)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(seed, ",")...),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MetadataMinAge(500*time.Millisecond),
		kgo.MaxBufferedRecords(1<<22),
		// As the librdkafka producer of the tests: a request to a stopped
		// leader stalls its partition for at most about 10 s.
		kgo.ProduceRequestTimeout(10*time.Second),
		kgo.RequestTimeoutOverhead(5*time.Second),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}

	var out sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	emit := func(format string, args ...any) {
		out.Lock()
		fmt.Fprintf(w, format, args...)
		w.Flush()
		out.Unlock()
	}
	var acked, failed atomic.Int64

	// Stdin closed: stop sending. Produce never blocks here (the buffer
	// holds far more than a test sends), and buffered records are never
	// cancelled: they are acknowledged or fail in the bounded flush.
	sending, stopSending := context.WithCancel(context.Background())
	stop := sending.Done()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stopSending()
	}()

	start := time.Now()
	n := 0
	tick := time.NewTicker(10 * time.Millisecond)
loop:
	for {
		select {
		case <-stop:
			break loop
		case <-tick.C:
		}
		due := int(time.Since(start).Seconds()*float64(rate)) + 1
		batch := 0
		for ; n < due && sending.Err() == nil; n++ {
			key := fmt.Sprintf("%s-%07d", tag, n)
			rec := &kgo.Record{Key: []byte(key), Value: []byte(key + strings.Repeat(".", 80)),
				Partition: int32(n % parts)}
			cl.Produce(context.Background(), rec, func(r *kgo.Record, err error) {
				if err == nil {
					acked.Add(1)
					emit("ack %s %d %d\n", r.Key, r.Partition, r.Offset)
				} else {
					failed.Add(1)
					emit("fail %s %v\n", r.Key, err)
				}
			})
			batch++
		}
		if batch > 0 {
			emit("sent %d\n", batch)
		}
	}
	tick.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(flushS)*time.Second)
	_ = cl.Flush(ctx)
	cancel()
	cl.Close() // fails whatever is still buffered (reported as fail lines)
	emit("done %d %d\n", acked.Load(), failed.Load())
}
