// SPDX-License-Identifier: Apache-2.0
// kafkajs 2.2.4: create a topic, send keyed messages, read them back with a
// consumer, the way kafkajs' documentation shows. Exit 0 on success.
// usage: node produce_consume.js BOOTSTRAP TOPIC COUNT
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, countArg] = process.argv.slice(2)
const count = parseInt(countArg || '100', 10)

async function main () {
  const kafka = new Kafka({ clientId: 'samsa-it', brokers: [bootstrap], logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()

  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = 0; i < count; i++) {
    messages.push({ key: `key-${i % 10}`, value: `value-${i}`, headers: { idx: `${i}` } })
  }
  await producer.send({ topic, messages })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `g-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen = new Map()
  const partitionOfKey = new Map()
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: got ${seen.size}/${count}`)), 60000)
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key.toString()
        if (partitionOfKey.has(key) && partitionOfKey.get(key) !== partition) {
          reject(new Error(`key ${key} in two partitions`))
        }
        partitionOfKey.set(key, partition)
        seen.set(message.headers.idx.toString(), message.value.toString())
        if (seen.size === count) { clearTimeout(timer); resolve() }
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  for (let i = 0; i < count; i++) {
    if (seen.get(`${i}`) !== `value-${i}`) throw new Error(`message ${i} wrong: ${seen.get(`${i}`)}`)
  }
  console.log('ok')
}

main().catch((e) => { console.error(e); process.exit(1) })
