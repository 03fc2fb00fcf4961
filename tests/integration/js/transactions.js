// SPDX-License-Identifier: Apache-2.0
// kafkajs 2.2.4: a transactional producer commits, aborts and commits again
// (explicit partitions, six records each); a read_committed consumer (the
// kafkajs default) must see the committed twelve and none of the aborted,
// a readUncommitted one all eighteen. Aborted records precede the second
// commit on each partition, so reading that far proves none slipped
// through. Prints "ok" and exits 0 on success.
// usage: node transactions.js BOOTSTRAP TOPIC
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic] = process.argv.slice(2)

async function readAll (kafka, readUncommitted, want) {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${readUncommitted}`, readUncommitted })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: got ${seen.join(' ')}`)), 60000)
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString())
        if (seen.length >= want) { clearTimeout(timer); resolve() }
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  return seen.sort()
}

async function main () {
  const kafka = new Kafka({ clientId: 'samsa-it', brokers: [bootstrap], logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
  await admin.disconnect()

  const producer = kafka.producer({ transactionalId: 'kjs-tx', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const expectCommitted = []
  const all = []
  for (const [prefix, commit] of [['c1-', true], ['a-', false], ['c2-', true]]) {
    const txn = await producer.transaction()
    const messages = []
    for (let i = 0; i < 6; i++) {
      messages.push({ value: `${prefix}${i}`, partition: i % 2 })
      all.push(`${prefix}${i}`)
      if (commit) expectCommitted.push(`${prefix}${i}`)
    }
    await txn.send({ topic, messages })
    if (commit) await txn.commit()
    else await txn.abort()
  }
  await producer.disconnect()

  const committed = await readAll(kafka, false, expectCommitted.length)
  if (JSON.stringify(committed) !== JSON.stringify(expectCommitted.sort())) {
    throw new Error(`read_committed saw ${committed.join(' ')}`)
  }
  const everything = await readAll(kafka, true, all.length)
  if (JSON.stringify(everything) !== JSON.stringify(all.sort())) {
    throw new Error(`read_uncommitted saw ${everything.join(' ')}`)
  }
  console.log('ok')
}

main().catch((e) => { console.error(e); process.exit(1) })
