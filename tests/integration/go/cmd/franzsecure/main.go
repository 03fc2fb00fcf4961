// SPDX-License-Identifier: Apache-2.0
// franzsecure: franz-go (kgo) over a secured listener, for the security
// tests: TLS from a PEM CA file and SASL PLAIN, SCRAM-SHA-256/512 or
// OAUTHBEARER (a token given on the command line). Produces <count>
// records to partition 0 of <topic> and reads them back. Prints "ok", or
// "FAIL: <error>" and exits 1.
//
//	franzsecure <bootstrap> <topic> <count> <ca.pem|-> <mechanism|-> [user password | token]
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func mechanism(args []string) sasl.Mechanism {
	switch args[0] {
	case "-":
		return nil
	case "PLAIN":
		return plain.Auth{User: args[1], Pass: args[2]}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: args[1], Pass: args[2]}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: args[1], Pass: args[2]}.AsSha512Mechanism()
	case "OAUTHBEARER":
		return oauth.Auth{Token: args[1]}.AsMechanism()
	}
	fail("unknown mechanism %s", args[0])
	return nil
}

func main() {
	if len(os.Args) < 6 {
		fail("usage: franzsecure <bootstrap> <topic> <count> <ca.pem|-> <mechanism|-> [user password | token]")
	}
	seed, topic, ca := os.Args[1], os.Args[2], os.Args[4]
	count, err := strconv.Atoi(os.Args[3])
	if err != nil {
		fail("bad count %q", os.Args[3])
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seed), kgo.AllowAutoTopicCreation()}
	if ca != "-" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			fail("%v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	}
	if m := mechanism(os.Args[5:]); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		fail("client: %v", err)
	}
	defer cl.Close()
	// One round trip first: a refused connection's reason (TLS, SASL)
	// rather than a produce timeout.
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := cl.Ping(pctx); err != nil {
		fail("connect: %v", err)
	}
	pcancel()
	for i := 0; i < count; i++ {
		r := &kgo.Record{Value: []byte(fmt.Sprintf("v%d", i)), Partition: 0}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			fail("produce: %v", err)
		}
	}
	cons, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(
		map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))...)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer cons.Close()
	got := 0
	for got < count {
		fetches := cons.PollFetches(ctx)
		if errs := fetches.Errors(); len(errs) > 0 {
			fail("fetch: %v", errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if string(r.Value) != fmt.Sprintf("v%d", got) {
				fail("record %d is %q", got, r.Value)
			}
			got++
		})
	}
	fmt.Println("ok")
}
