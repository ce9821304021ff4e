
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):


    dependencies = [
        ('agencies', '0002_initial'),
        ('dossiers', '0007_digitization'),
        ('postal', '0003_pickups'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Shipment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('carrier', models.CharField(default='vnpost', max_length=30, verbose_name='carrier')),
                ('customer_code', models.CharField(blank=True, max_length=40, verbose_name='customer code')),
                ('order_number', models.CharField(max_length=50, unique=True, verbose_name='order number')),
                ('waybill', models.CharField(blank=True, max_length=13, null=True, unique=True, verbose_name='waybill')),
                ('sender', models.JSONField(default=dict, verbose_name='sender')),
                ('receiver', models.JSONField(default=dict, verbose_name='receiver')),
                ('cod_amount', models.PositiveBigIntegerField(default=0, verbose_name='cash on delivery (VND)')),
                ('postage', models.PositiveBigIntegerField(default=0, verbose_name='postage (VND)')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='contents')),
                ('status', models.CharField(choices=[('requested', 'Requested, not yet accepted by the carrier'), ('accepted', 'Accepted by the carrier'), ('picked_up', 'Picked up by the post'), ('in_transit', 'In transit'), ('out_for_delivery', 'Out for delivery'), ('delivered', 'Delivered'), ('failed_attempt', 'Delivery attempt failed'), ('returning', 'Being returned to the sender'), ('returned_to_sender', 'Returned to the sender'), ('cancelled', 'Cancelled')], default='requested', max_length=20, verbose_name='status')),
                ('carrier_status', models.CharField(blank=True, max_length=10, verbose_name="carrier's status code")),
                ('last_update_at', models.DateTimeField(blank=True, null=True, verbose_name='carrier time of the last applied update')),
                ('recipient', models.CharField(blank=True, max_length=300, verbose_name='received by')),
                ('proof_sha256', models.CharField(blank=True, max_length=64, verbose_name='proof image SHA-256')),
                ('proof_reference', models.CharField(blank=True, max_length=500, verbose_name='proof image reference')),
                ('cod_collected', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='COD reported collected (VND)')),
                ('discrepancy', models.CharField(blank=True, max_length=300, verbose_name='discrepancy')),
                ('created_at', models.DateTimeField(verbose_name='created')),
                ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='accepted by the carrier')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='order attempts')),
                ('last_error', models.CharField(blank=True, max_length=500, verbose_name='last error')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('gave_up', models.BooleanField(default=False, verbose_name='order creation failed')),
                ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shipments', to='dossiers.dossier', verbose_name='dossier')),
                ('point', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agencies.agency', verbose_name='handed over at')),
                ('sent_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='handed to the post by')),
            ],
            options={
                'verbose_name': 'shipment',
                'verbose_name_plural': 'shipments',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='CarrierUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_key', models.CharField(blank=True, max_length=120, null=True, unique=True)),
                ('source', models.CharField(choices=[('webhook', 'Webhook'), ('poll', 'Polling')], max_length=10, verbose_name='source')),
                ('raw', models.JSONField(default=dict, verbose_name='as received')),
                ('signature_valid', models.BooleanField(default=False, verbose_name='signature valid')),
                ('status', models.CharField(blank=True, choices=[('requested', 'Requested, not yet accepted by the carrier'), ('accepted', 'Accepted by the carrier'), ('picked_up', 'Picked up by the post'), ('in_transit', 'In transit'), ('out_for_delivery', 'Out for delivery'), ('delivered', 'Delivered'), ('failed_attempt', 'Delivery attempt failed'), ('returning', 'Being returned to the sender'), ('returned_to_sender', 'Returned to the sender'), ('cancelled', 'Cancelled')], max_length=20, verbose_name='status')),
                ('carrier_status', models.CharField(blank=True, max_length=10, verbose_name="carrier's status code")),
                ('carrier_time', models.DateTimeField(blank=True, null=True, verbose_name='carrier time')),
                ('outcome', models.CharField(choices=[('applied', 'Applied'), ('stale', "Older than the shipment's status (kept in the history)"), ('duplicate', 'Duplicate'), ('rejected', 'Rejected')], max_length=10, verbose_name='outcome')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                ('received_at', models.DateTimeField(verbose_name='received')),
                ('shipment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='updates', to='postal.shipment', verbose_name='shipment')),
            ],
            options={
                'verbose_name': 'carrier update',
                'verbose_name_plural': 'carrier updates',
                'ordering': ['-received_at', '-pk'],
            },
        ),
        migrations.AddIndex(
            model_name='shipment',
            index=models.Index(fields=['dossier', 'created_at'], name='shipment_dossier'),
        ),
        migrations.AddIndex(
            model_name='shipment',
            index=models.Index(fields=['status', 'last_update_at'], name='shipment_status'),
        ),
        migrations.AddIndex(
            model_name='shipment',
            index=models.Index(fields=['point', 'created_at'], name='shipment_point'),
        ),
        migrations.AddIndex(
            model_name='carrierupdate',
            index=models.Index(fields=['shipment', 'carrier_time'], name='carrier_update_shipment'),
        ),
    ]
