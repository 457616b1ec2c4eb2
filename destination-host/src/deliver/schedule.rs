//! The reader side of a run: input items come off a blocking reader thread,
//! bad ones are dead-lettered at once, journaled ones are skipped, and good
//! ones go to the workers in chunks, bounded by the in-flight permits.

use super::flow::{Flow, Job, Pending, add};
use super::progress::Reporter;
use crate::input::{InputItem, Items};
use crate::journal::{self, Done, Entry};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Items buffered between the reader thread and the loop.
const READ_AHEAD: usize = 1024;

/// How long a partial chunk waits for more input before it is sent anyway.
const PARTIAL_CHUNK_WAIT: Duration = Duration::from_millis(20);

/// Reads every item and hands the records to the workers in chunks of
/// `chunk_size`; `earlier` are the journal's finished records.
pub(super) async fn feed(
    flow: &Arc<Flow>,
    items: Items,
    earlier: &HashMap<u64, journal::Entry>,
    chunk_size: usize,
    jobs: &mpsc::UnboundedSender<Job>,
    progress: &Reporter,
) {
    let (item_tx, mut item_rx) = mpsc::channel::<InputItem>(READ_AHEAD);
    let reader = std::thread::spawn(move || {
        for item in items {
            if item_tx.blocking_send(item).is_err() {
                break;
            }
        }
    });
    let journaling = flow.sinks.journaling();
    let mut read = 0;
    let mut chunk: Vec<Pending> = Vec::new();
    loop {
        let item = tokio::select! {
            item = item_rx.recv() => item,
            _ = tokio::time::sleep(PARTIAL_CHUNK_WAIT), if !chunk.is_empty() => {
                // Input is slow: don't hold a partial chunk back.
                flush(flow, jobs, &mut chunk).await;
                continue;
            }
        };
        let Some(item) = item else { break };
        read += 1;
        add(&flow.counts.input, 1);
        flow.metrics.received(1);
        progress.tick(flow, read);
        if let Some(e) = earlier.get(&item.index()) {
            // An earlier run finished this record: count it, send nothing.
            add(&flow.counts.resumed, 1);
            match e.done {
                Done::Delivered => add(&flow.counts.delivered, 1),
                Done::DeadLettered(_) => add(&flow.counts.dead, 1),
            };
            continue;
        }
        // Only a journal needs the record's hash: skip it on the hot path.
        let hash = journaling.then(|| journal::record_hash(&journal::item_text(&item)));
        if let Some(p) = admit(flow, item, hash) {
            chunk.push(p);
            if chunk.len() >= chunk_size {
                flush(flow, jobs, &mut chunk).await;
            }
        }
    }
    flush(flow, jobs, &mut chunk).await;
    let _ = reader.join();
}

/// A bad item is dead-lettered (and journaled); after a halt a record is
/// not attempted; otherwise it becomes a pending record.
fn admit(flow: &Flow, item: InputItem, hash: Option<String>) -> Option<Pending> {
    match item {
        InputItem::Bad {
            index,
            record,
            code,
            reason,
        } => {
            flow.dead_letter(index, record, code, &reason, 0);
            flow.sinks.commit(vec![Entry {
                index,
                hash: hash.unwrap_or_default(),
                done: Done::DeadLettered(code.to_string()),
            }]);
            None
        }
        InputItem::Record { .. } if flow.halted() => {
            flow.not_attempted(1);
            None
        }
        InputItem::Record { index, json } => Some(Pending {
            index,
            json,
            hash,
            attempts: 0,
            maybe_applied: false,
        }),
    }
}

/// Sends the chunk to the workers once its records have in-flight permits.
async fn flush(flow: &Flow, tx: &mpsc::UnboundedSender<Job>, chunk: &mut Vec<Pending>) {
    if chunk.is_empty() {
        return;
    }
    let records = std::mem::take(chunk);
    if let Ok(permit) = flow.outstanding.acquire_many(records.len() as u32).await {
        permit.forget();
    }
    let _ = tx.send(Some(records));
}
