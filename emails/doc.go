// Package emails will hold Heed's survey email templates and sending through
// SendGrid (github.com/sendgrid/sendgrid-go), with a local outbox when no API
// key is set. See the issue "Emailed surveys through SendGrid".
package emails
