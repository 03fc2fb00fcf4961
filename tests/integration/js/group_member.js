// SPDX-License-Identifier: Apache-2.0
// One kafkajs 2.2.4 consumer-group member for the rebalance tests. Prints a
// JSON line per event on stdout: {"ev":"assign","parts":[...]} after each
// join, {"ev":"msg","p":P,"o":O,"v":V} per message processed (offsets are
// committed after each message: autoCommitThreshold 1).
// usage: node group_member.js BOOTSTRAP TOPIC GROUP NAME
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, groupId, name] = process.argv.slice(2)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')

async function main () {
  const kafka = new Kafka({ clientId: name, brokers: [bootstrap], logLevel: logLevel.ERROR })
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 500
  })
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    out({ ev: 'assign', parts: (e.payload.memberAssignment[topic] || []).slice().sort() })
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ partition, message }) => {
      out({ ev: 'msg', p: partition, o: Number(message.offset), v: message.value.toString() })
    }
  })
  const stop = async () => { await consumer.disconnect(); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((e) => { console.error(e); process.exit(1) })
