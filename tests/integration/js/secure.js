// SPDX-License-Identifier: Apache-2.0
// kafkajs 2.2.4 over a secured listener, for the security tests: TLS with a
// PEM CA file, SASL plain, scram-sha-256/512 or oauthbearer (a token given
// on the command line). Sends COUNT messages to partition 0 of TOPIC and
// reads them back. Prints "ok", or "FAIL <error name>: <message>" and
// exits 1.
// usage: node secure.js BOOTSTRAP TOPIC COUNT CA.pem|- MECHANISM|- [USER PASSWORD | TOKEN]
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, countArg, ca, mechanism, a, b] = process.argv.slice(2)
const count = parseInt(countArg, 10)

function sasl () {
  if (mechanism === '-') return undefined
  if (mechanism === 'oauthbearer') {
    return { mechanism, oauthBearerProvider: async () => ({ value: a }) }
  }
  return { mechanism, username: a, password: b }
}

async function main () {
  const kafka = new Kafka({
    clientId: 'samsa-secure',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    ssl: ca === '-' ? false : { ca: [fs.readFileSync(ca, 'utf-8')] },
    sasl: sasl(),
    connectionTimeout: 5000,
    retry: { retries: 1 }
  })
  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = 0; i < count; i++) messages.push({ value: `v${i}`, partition: 0 })
  await producer.send({ topic, messages })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `g-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${got.length} of ${count}`)), 20000)
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString())
        if (got.length === count) { clearTimeout(timer); resolve() }
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  for (let i = 0; i < count; i++) {
    if (got[i] !== `v${i}`) throw new Error(`record ${i} is ${got[i]}`)
  }
}

main().then(() => { console.log('ok'); process.exit(0) }).catch((e) => {
  console.log(`FAIL ${e.name}: ${e.message}`)
  process.exit(1)
})
